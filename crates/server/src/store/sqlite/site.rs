//! The site row and its configuration documents in SQLite.

use chrono::Utc;
use rusqlite::{params, OptionalExtension};

use super::connection::SqliteStore;
use super::row::ts;
use crate::store::error::StoreError;
use crate::store::site::SiteStore;

#[async_trait::async_trait]
impl SiteStore for SqliteStore {
    async fn site_name(&self) -> Result<String, StoreError> {
        self.with_conn(|c| {
            c.query_row("SELECT name FROM site WHERE id = 1", [], |r| r.get(0))
                .optional()?
                .ok_or(StoreError::Missing("site"))
        })
        .await
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.with_conn(|c| {
            let n: i64 = c.query_row("SELECT COUNT(*) FROM site", [], |r| r.get(0))?;
            Ok(n == 0)
        })
        .await
    }

    async fn set_site_name(&self, name: &str) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.with_conn(move |c| {
            c.execute(
                "INSERT INTO site (id, name) VALUES (1, ?1)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name",
                [name],
            )?;
            Ok(())
        })
        .await
    }

    async fn site_config(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.with_conn(move |c| {
            let sql = "SELECT json FROM site_config WHERE key = ?1";
            Ok(c.query_row(sql, [key], |r| r.get(0)).optional()?)
        })
        .await
    }

    async fn put_site_config(&self, key: &str, json: &str) -> Result<(), StoreError> {
        let (key, json) = (key.to_owned(), json.to_owned());
        self.with_conn(move |c| {
            c.execute(
                "INSERT INTO site_config (key, json, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(key) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at",
                params![key, json, ts(Utc::now())],
            )?;
            Ok(())
        })
        .await
    }
}
