//! The SQLite backend: one file per concern, each implementing its store trait for [`SqliteStore`].

mod accessions;
mod audit;
mod connection;
mod facts;
mod migrate;
mod orders;
mod people;
mod review;
mod row;
mod site;
mod sync;
#[cfg(test)]
mod tests;
mod unreadable;

pub use connection::SqliteStore;
