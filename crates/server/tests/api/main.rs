//! The server's API tests, one binary: a module per concern over shared `helpers` and `fixtures`.

mod fixtures;
mod helpers;

mod accessions;
mod alerts;
mod auth;
mod cli;
mod corrections;
mod data_key;
mod export;
mod fuzz;
mod health;
mod identification;
mod import_outbox;
mod lab_key_file;
mod life_cycle;
mod openapi;
mod orders;
mod poison_rows;
mod quotas;
mod revalidate;
mod revoked;
mod router;
mod sealed;
mod serial_orders;
mod sign_in_limit;
mod storage_lost;
mod store;
mod supervisor;
mod sync;
mod sync_process;
mod transport;
