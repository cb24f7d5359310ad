//! The server's API tests, one binary: a module per concern over shared `helpers` and `fixtures`.

mod fixtures;
mod helpers;

mod accessions;
mod alerts;
mod auth;
mod cli;
mod corrections;
mod export;
mod fuzz;
mod health;
mod identification;
mod orders;
mod revalidate;
mod router;
mod serial_orders;
mod store;
mod supervisor;
mod sync;
mod sync_process;
