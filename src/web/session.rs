//! Signed-in web sessions: the cookie, its CSRF token, and the lock-out after repeated
//! failed sign-ins.
//!
//! A session id is 32 random bytes, sent as the cookie `ivd_session` (`HttpOnly`,
//! `SameSite=Strict`, `Path=/`, `Secure` when the gateway is served over HTTPS); the
//! database keeps only its SHA-256, so a copy of the database opens no session. Every
//! session has its own CSRF token, which each form carries in a hidden field and every POST
//! must return. Five failed sign-ins for one name within fifteen minutes lock that name out
//! for the rest of the window; the message does not say whether the name exists.

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::store::tokens::Role;
use crate::store::{Db, StoreError};
use crate::{on_db, on_read};

/// The session cookie's name.
pub const COOKIE: &str = "ivd_session";
/// How long a session lasts without signing in again.
pub const LIFETIME_MS: i64 = 8 * 3600 * 1000;
/// Failed sign-ins allowed per name within [`LOCKOUT_WINDOW_MS`].
pub const MAX_FAILURES: i64 = 5;
/// The lock-out window.
pub const LOCKOUT_WINDOW_MS: i64 = 15 * 60 * 1000;

/// A signed-in session.
#[derive(Clone, Debug)]
pub struct Session {
    /// The token holder's name.
    pub holder: String,
    /// Their role.
    pub role: Role,
    /// The CSRF token of this session.
    pub csrf: String,
}

impl Session {
    /// True when `presented` is this session's CSRF token (compared in constant time).
    pub fn csrf_matches(&self, presented: &str) -> bool {
        self.csrf.as_bytes().ct_eq(presented.as_bytes()).into()
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// Starts a session; returns the cookie value.
pub async fn start(db: &Db, holder: &str, role: Role, now: i64) -> Result<String, StoreError> {
    let id = random_token();
    on_db!(db, c => {
        sqlx::query("DELETE FROM web_sessions WHERE expires_at < $1")
            .bind(now)
            .execute(c)
            .await?;
        sqlx::query(
            "INSERT INTO web_sessions (id_hash, holder, role, csrf, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(hash(&id))
        .bind(holder)
        .bind(role.as_str())
        .bind(random_token())
        .bind(now)
        .bind(now + LIFETIME_MS)
        .execute(c)
        .await?
        .rows_affected()
    });
    Ok(id)
}

/// The session whose cookie the request carries, when it is valid.
pub async fn from_headers(
    db: &Db,
    headers: &HeaderMap,
    now: i64,
) -> Result<Option<Session>, StoreError> {
    let Some(id) = cookie(headers, COOKIE) else {
        return Ok(None);
    };
    let row: Option<(String, String, String)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT holder, role, csrf FROM web_sessions WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(hash(&id))
        .bind(now)
        .fetch_optional(c)
        .await?
    });
    Ok(row.and_then(|(holder, role, csrf)| {
        Some(Session {
            holder,
            role: Role::parse(&role)?,
            csrf,
        })
    }))
}

/// Ends the session the request carries.
pub async fn end(db: &Db, headers: &HeaderMap) -> Result<(), StoreError> {
    if let Some(id) = cookie(headers, COOKIE) {
        on_db!(db, c => {
            sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1")
                .bind(hash(&id))
                .execute(c)
                .await?
                .rows_affected()
        });
    }
    Ok(())
}

/// Records a failed sign-in for `name`.
pub async fn note_failure(db: &Db, name: &str, now: i64) -> Result<(), StoreError> {
    on_db!(db, c => {
        sqlx::query("DELETE FROM sign_in_failures WHERE at < $1")
            .bind(now - LOCKOUT_WINDOW_MS)
            .execute(c)
            .await?;
        sqlx::query("INSERT INTO sign_in_failures (name, at) VALUES ($1, $2)")
            .bind(name)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected()
    });
    Ok(())
}

/// True when `name` has failed too often lately to try again now.
pub async fn locked_out(db: &Db, name: &str, now: i64) -> Result<bool, StoreError> {
    let (failures,): (i64,) = on_read!(db, c => {
        sqlx::query_as("SELECT COUNT(*) FROM sign_in_failures WHERE name = $1 AND at >= $2")
            .bind(name)
            .bind(now - LOCKOUT_WINDOW_MS)
            .fetch_one(c)
            .await?
    });
    Ok(failures >= MAX_FAILURES)
}

/// Clears the failures of `name` after a successful sign-in.
pub async fn clear_failures(db: &Db, name: &str) -> Result<(), StoreError> {
    on_db!(db, c => {
        sqlx::query("DELETE FROM sign_in_failures WHERE name = $1")
            .bind(name)
            .execute(c)
            .await?
            .rows_affected()
    });
    Ok(())
}

/// The `Set-Cookie` value that carries a new session.
pub fn set_cookie(id: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        LIFETIME_MS / 1000,
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// The value of cookie `name` in the request.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
        .filter(|value| !value.is_empty() && value.len() <= 100)
}
