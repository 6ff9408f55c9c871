//! API tokens for the state system, operators and employers.
//!
//! A token is shown once, when it is issued, and stored only as its SHA-256 hash. A
//! presented token is hashed and looked up by that hash; the final comparison is in
//! constant time so response timing says nothing about how much of a guess was right.

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::store::{Db, StoreError};
use crate::{on_db, on_read, on_tx};

/// What a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The state's case system: pushes cases, reads the event feed.
    StateSystem,
    /// State IT operations: reads exchange health, redelivers and replays messages.
    Operator,
    /// Everything an operator may do, plus administration.
    Admin,
    /// May read federal tax information.
    FtiReader,
    /// An employer, scoped to its FEINs.
    Employer,
}

impl Role {
    /// The stored name of the role.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::StateSystem => "state-system",
            Role::Operator => "operator",
            Role::Admin => "admin",
            Role::FtiReader => "fti-reader",
            Role::Employer => "employer",
        }
    }

    /// Parses a stored role name.
    pub fn parse(name: &str) -> Option<Role> {
        [
            Role::StateSystem,
            Role::Operator,
            Role::Admin,
            Role::FtiReader,
            Role::Employer,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }
}

/// Who a valid token belongs to.
#[derive(Clone, Debug)]
pub struct TokenHolder {
    /// The token's row id.
    pub id: i64,
    /// The name given when it was issued (a system or a person, never a secret).
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// For an employer or payroll agent: the FEINs it may report for (9 digits each).
    pub feins: Vec<String>,
}

impl TokenHolder {
    /// True when this holder may act for the employer `fein` (9 digits).
    pub fn may_act_for(&self, fein: &str) -> bool {
        self.feins.iter().any(|f| f == fein)
    }
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Issues a new token for `name` with `role`. The clear token is returned once and never
/// stored.
pub async fn issue(db: &Db, name: &str, role: Role, now: i64) -> Result<String, StoreError> {
    issue_scoped(db, name, role, &[], now).await
}

/// Issues a token scoped to the employers `feins` (9 digits each; an employer or payroll
/// agent token). The token and its scope are stored in one transaction.
pub async fn issue_scoped(
    db: &Db,
    name: &str,
    role: Role,
    feins: &[ivd_model::Fein],
    now: i64,
) -> Result<String, StoreError> {
    let mut tx = db.begin().await?;
    let token = issue_scoped_in(&mut tx, name, role, feins, now).await?;
    tx.commit().await?;
    Ok(token)
}

/// [`issue_scoped`] in the caller's transaction (an approval and the token it issues
/// commit together).
pub async fn issue_scoped_in(
    tx: &mut crate::store::DbTx,
    name: &str,
    role: Role,
    feins: &[ivd_model::Fein],
    now: i64,
) -> Result<String, StoreError> {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!("ivd_{}", hex::encode(secret));
    let hash = hash_token(&token);
    let (id,): (i64,) = on_tx!(tx, c => {
        sqlx::query_as("INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(name)
            .bind(role.as_str())
            .bind(&hash)
            .bind(now)
            .fetch_one(c)
            .await?
    });
    for fein in feins {
        on_tx!(tx, c => {
            sqlx::query("INSERT INTO token_feins (token_id, fein) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id)
                .bind(fein.expose())
                .execute(c)
                .await?
                .rows_affected()
        });
    }
    Ok(token)
}

/// Finds the live holder of a presented token.
pub async fn authenticate(db: &Db, presented: &str) -> Result<Option<TokenHolder>, StoreError> {
    let hash = hash_token(presented);
    let row: Option<(i64, String, String, String)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT id, name, role, token_hash FROM api_tokens \
             WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(&hash)
        .fetch_optional(c)
        .await?
    });
    let Some((id, name, role, stored)) = row else {
        return Ok(None);
    };
    let same: bool = stored.as_bytes().ct_eq(hash.as_bytes()).into();
    let Some(role) = Role::parse(&role).filter(|_| same) else {
        return Ok(None);
    };
    let feins: Vec<(String,)> = on_read!(db, c => {
        sqlx::query_as("SELECT fein FROM token_feins WHERE token_id = $1 ORDER BY fein")
            .bind(id)
            .fetch_all(c)
            .await?
    });
    Ok(Some(TokenHolder {
        id,
        name,
        role,
        feins: feins.into_iter().map(|(f,)| f).collect(),
    }))
}

/// Revokes every live token issued under `name`; returns how many.
pub async fn revoke(db: &Db, name: &str, now: i64) -> Result<u64, StoreError> {
    let done = on_db!(db, c => {
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(name)
            .execute(c)
            .await?
            .rows_affected()
    });
    Ok(done)
}

/// The FEINs the live employer tokens issued under `name` may act for (none when every
/// such token is revoked). The employer pages read the scope here at each request rather
/// than trusting anything the session or a form carries.
pub async fn employer_feins(db: &Db, name: &str) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT DISTINCT f.fein FROM token_feins f JOIN api_tokens t ON t.id = f.token_id \
             WHERE t.name = $1 AND t.role = 'employer' AND t.revoked_at IS NULL ORDER BY f.fein",
        )
        .bind(name)
        .fetch_all(c)
        .await?
    });
    Ok(rows.into_iter().map(|(f,)| f).collect())
}
