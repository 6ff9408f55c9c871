//! API tokens: the credentials of accounts ([`crate::store::accounts`]).
//!
//! A token is shown once, when it is issued, and stored only as its SHA-256 hash. A
//! presented token is hashed and looked up by that hash; the final comparison is in
//! constant time so response timing says nothing about how much of a guess was right.
//! A token works only while it is not revoked and its account is open; what it may do
//! (role, FEINs) is read from the account at every request.

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::store::accounts::{self, AccountError, NewAccount, Refusal};
use crate::store::{Db, DbTx, StoreError};
use crate::{on_read, on_tx};

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
    pub token_id: i64,
    /// The account's id: the identity everything is keyed by.
    pub account_id: i64,
    /// The account's name (unique for all time; shown, never used as a key).
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// For an employer or payroll agent: the FEINs its account holds (9 digits each).
    pub feins: Vec<String>,
}

impl TokenHolder {
    /// True when this holder may act for the employer `fein` (9 digits).
    pub fn may_act_for(&self, fein: &str) -> bool {
        self.feins.iter().any(|f| f == fein)
    }

    /// How the audit trail names this holder: role and account name (names are never
    /// reused, so the name identifies the account for good).
    pub fn actor(&self) -> String {
        format!("{}:{}", self.role.as_str(), self.name)
    }
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Opens the account `name` with `role` and issues its first token. The clear token is
/// returned once and never stored. Refused when the name was ever used.
pub async fn issue(db: &Db, name: &str, role: Role, now: i64) -> Result<String, AccountError> {
    issue_scoped(db, name, role, &[], now).await
}

/// Opens the employer account `name` holding `feins` (an employer or payroll agent) and
/// issues its first token, in one transaction. Refused when the name was ever used or a
/// FEIN is held by another account.
pub async fn issue_scoped(
    db: &Db,
    name: &str,
    role: Role,
    feins: &[ivd_model::Fein],
    now: i64,
) -> Result<String, AccountError> {
    let mut tx = db.begin().await?;
    let (_, token) = open_with_token_in(&mut tx, name, role, feins, "store", now).await?;
    tx.commit().await?;
    Ok(token)
}

/// Opens an account and issues its first token in the caller's transaction (an approval
/// and the account it opens commit together). Returns the account id and the clear token.
pub async fn open_with_token_in(
    tx: &mut DbTx,
    name: &str,
    role: Role,
    feins: &[ivd_model::Fein],
    created_by: &str,
    now: i64,
) -> Result<(i64, String), AccountError> {
    let account = accounts::open_in(
        tx,
        &NewAccount {
            name,
            role,
            feins,
            created_by,
        },
        now,
    )
    .await?;
    let token = new_token_in(tx, account, name, role, now).await?;
    Ok((account, token))
}

async fn new_token_in(
    tx: &mut DbTx,
    account: i64,
    name: &str,
    role: Role,
    now: i64,
) -> Result<String, StoreError> {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!("ivd_{}", hex::encode(secret));
    on_tx!(tx, c => {
        sqlx::query("INSERT INTO api_tokens (account_id, name, role, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(account)
            .bind(name)
            .bind(role.as_str())
            .bind(hash_token(&token))
            .bind(now)
            .execute(c)
            .await?
            .rows_affected()
    });
    Ok(token)
}

/// Issues a new token for the open account `name` and revokes its earlier tokens, in one
/// transaction (the account, its scope, its history and its id stay). Returns the account
/// id, the clear token and how many tokens were revoked.
pub async fn rotate(db: &Db, name: &str, now: i64) -> Result<(i64, String, u64), AccountError> {
    let mut tx = db.begin().await?;
    let Some((account, role)) = accounts::open_account(&mut tx, name).await? else {
        return Err(Refusal::NoSuchAccount(name.to_string()).into());
    };
    let revoked = on_tx!(&mut tx, c => {
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(account)
            .execute(c)
            .await?
            .rows_affected()
    });
    let token = new_token_in(&mut tx, account, name, role, now).await?;
    tx.commit().await?;
    Ok((account, token, revoked))
}

/// Finds the live holder of a presented token: the token not revoked, its account open.
pub async fn authenticate(db: &Db, presented: &str) -> Result<Option<TokenHolder>, StoreError> {
    let hash = hash_token(presented);
    let row: Option<(i64, i64, String, String, String)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT t.id, a.id, a.name, a.role, t.token_hash FROM api_tokens t \
             JOIN accounts a ON a.id = t.account_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND a.closed_at IS NULL",
        )
        .bind(&hash)
        .fetch_optional(c)
        .await?
    });
    let Some((token_id, account_id, name, role, stored)) = row else {
        return Ok(None);
    };
    let same: bool = stored.as_bytes().ct_eq(hash.as_bytes()).into();
    let Some(role) = Role::parse(&role).filter(|_| same) else {
        return Ok(None);
    };
    let feins = if role == Role::Employer {
        accounts::feins_of(db, account_id).await?
    } else {
        Vec::new()
    };
    Ok(Some(TokenHolder {
        token_id,
        account_id,
        name,
        role,
        feins,
    }))
}

/// Closes the account `name` (every token revoked, sessions ended, FEINs released); returns
/// how many tokens were revoked. Its name is never given out again.
pub async fn revoke(db: &Db, name: &str, actor: &str, now: i64) -> Result<u64, AccountError> {
    Ok(accounts::close(db, name, actor, now).await?.1)
}
