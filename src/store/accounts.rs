//! Accounts: who holds a credential, by a stable id.
//!
//! Every token, session, receipt and registration refers to an **account id**, never to a
//! name. An account has one role; an employer (or payroll-agent) account also holds the
//! FEINs it acts for. The rules that make the id the identity:
//!
//! - **A name is unique for all time.** Accounts are closed, never deleted, and a closed
//!   account's name is never given out again: a stranger who asks for a former employer's
//!   name gets "taken", not that employer's history.
//! - **A FEIN is held by at most one open account** (a unique index on the held FEINs).
//!   Opening an account, approving a registration or adding a FEIN refuses a FEIN another
//!   account holds. Closing an account releases its FEINs, so the business can be given a
//!   new account; what the old account sent stays with the old account's id.
//! - **Adding a FEIN to an existing account** is a deliberate admin action with a reason,
//!   written to the audit trail in the same transaction.
//!
//! ```no_run
//! # async fn example(db: &ivd_gateway::store::Db) -> anyhow::Result<()> {
//! use ivd_gateway::store::accounts::{self, NewAccount};
//! use ivd_gateway::store::tokens::Role;
//! let acme = ivd_model::Fein::parse("411234567")?;
//! let mut tx = db.begin().await?;
//! let id = accounts::open_in(&mut tx, &NewAccount {
//!     name: "acme-payroll", role: Role::Employer, feins: &[acme], created_by: "cli:root",
//! }, ivd_gateway::store::now_ms()).await?;
//! tx.commit().await?;
//! println!("account {id}");
//! # Ok(())
//! # }
//! ```

use crate::audit::{self, NewEntry};
use crate::store::tokens::Role;
use crate::store::{Db, DbTx, StoreError};
use crate::{on_read, on_tx};

/// Why an account action was refused. The texts name accounts and FEINs (business
/// identifiers), never a person.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The name is, or once was, an account's.
    #[error(
        "the account name {0:?} is taken (names are never reused, even after an account is closed)"
    )]
    NameTaken(String),
    /// A FEIN is held by another open account.
    #[error("FEIN {0} is held by another account")]
    FeinHeld(String),
    /// No open account has that name.
    #[error("no open account is named {0:?}")]
    NoSuchAccount(String),
    /// Only employer accounts hold FEINs, and every employer account holds one at least.
    #[error("{0}")]
    Scope(&'static str),
}

/// An account action's failure: refused by a rule, or the store failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A rule refused it; nothing was written.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AccountError {
    fn from(error: sqlx::Error) -> Self {
        AccountError::Store(StoreError::Sqlx(error))
    }
}

/// An account to open.
#[derive(Clone, Copy, Debug)]
pub struct NewAccount<'a> {
    /// Its name (unique for all time).
    pub name: &'a str,
    /// Its role.
    pub role: Role,
    /// For an employer account, the FEINs it acts for (at least one); none otherwise.
    pub feins: &'a [ivd_model::Fein],
    /// Who opened it (`cli:USER`, `admin:NAME`), for the record.
    pub created_by: &'a str,
}

/// An account as `token list` shows it.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its role.
    pub role: String,
    /// When it was opened (ms since the epoch).
    pub created_at: i64,
    /// When it was closed, if it was.
    pub closed_at: Option<i64>,
    /// The FEINs it holds now.
    pub feins: Vec<String>,
    /// Its tokens that still work.
    pub live_tokens: i64,
}

fn fein_text(fein: &str) -> String {
    match fein.len() {
        9 => format!("{}-{}", &fein[..2], &fein[2..]),
        _ => fein.to_string(),
    }
}

fn is_unique_violation(error: &StoreError) -> bool {
    matches!(error, StoreError::Sqlx(sqlx::Error::Database(e)) if e.is_unique_violation())
}

/// True when `name` is, or ever was, an account's name.
pub async fn name_ever_used(db: &Db, name: &str) -> Result<bool, StoreError> {
    let (n,): (i64,) = on_read!(db, c => {
        sqlx::query_as("SELECT COUNT(*) FROM accounts WHERE name = $1")
            .bind(name)
            .fetch_one(c)
            .await?
    });
    Ok(n > 0)
}

/// The first of `feins` held by an open account other than `except`.
async fn held_elsewhere(
    tx: &mut DbTx,
    feins: &[ivd_model::Fein],
    except: Option<i64>,
) -> Result<Option<String>, StoreError> {
    for fein in feins {
        let holder: Option<(i64,)> = on_tx!(tx, c => {
            sqlx::query_as("SELECT account_id FROM account_feins WHERE fein = $1 AND released_at IS NULL")
                .bind(fein.expose())
                .fetch_optional(c)
                .await?
        });
        if let Some((holder,)) = holder
            && Some(holder) != except
        {
            return Ok(Some(fein.expose().to_string()));
        }
    }
    Ok(None)
}

/// Opens an account in the caller's transaction; returns its id. Refused when the name was
/// ever used or a FEIN is held by another account; nothing is written then.
pub async fn open_in(
    tx: &mut DbTx,
    account: &NewAccount<'_>,
    now: i64,
) -> Result<i64, AccountError> {
    match (account.role, account.feins.is_empty()) {
        (Role::Employer, true) => {
            return Err(Refusal::Scope("an employer account needs at least one FEIN").into());
        }
        (role, false) if role != Role::Employer => {
            return Err(Refusal::Scope("only employer accounts hold FEINs").into());
        }
        _ => {}
    }
    let (used,): (i64,) = on_tx!(tx, c => {
        sqlx::query_as("SELECT COUNT(*) FROM accounts WHERE name = $1")
            .bind(account.name)
            .fetch_one(c)
            .await?
    });
    if used > 0 {
        return Err(Refusal::NameTaken(account.name.to_string()).into());
    }
    if let Some(fein) = held_elsewhere(tx, account.feins, None).await? {
        return Err(Refusal::FeinHeld(fein_text(&fein)).into());
    }
    let inserted: Result<(i64,), StoreError> = async {
        Ok(on_tx!(tx, c => {
            sqlx::query_as(
                "INSERT INTO accounts (name, role, created_at, created_by) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(account.name)
            .bind(account.role.as_str())
            .bind(now)
            .bind(account.created_by)
            .fetch_one(c)
            .await?
        }))
    }
    .await;
    // Two openings racing for one name: the unique constraint decides.
    let (id,) = match inserted {
        Err(error) if is_unique_violation(&error) => {
            return Err(Refusal::NameTaken(account.name.to_string()).into());
        }
        other => other?,
    };
    for fein in account.feins {
        hold_in(tx, id, fein, now).await?;
    }
    Ok(id)
}

async fn hold_in(
    tx: &mut DbTx,
    account_id: i64,
    fein: &ivd_model::Fein,
    now: i64,
) -> Result<(), AccountError> {
    let held: Result<u64, StoreError> = async {
        Ok(on_tx!(tx, c => {
            // A FEIN the account held before and released is held again (same row).
            sqlx::query(
                "INSERT INTO account_feins (account_id, fein, added_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (account_id, fein) DO UPDATE SET released_at = NULL, added_at = excluded.added_at",
            )
            .bind(account_id)
            .bind(fein.expose())
            .bind(now)
            .execute(c)
            .await?
            .rows_affected()
        }))
    }
    .await;
    match held {
        Err(error) if is_unique_violation(&error) => {
            Err(Refusal::FeinHeld(fein_text(fein.expose())).into())
        }
        other => other.map(|_| ()).map_err(AccountError::from),
    }
}

/// The id and role of the open account named `name`.
pub async fn open_account(tx: &mut DbTx, name: &str) -> Result<Option<(i64, Role)>, StoreError> {
    let row: Option<(i64, String)> = on_tx!(tx, c => {
        sqlx::query_as("SELECT id, role FROM accounts WHERE name = $1 AND closed_at IS NULL")
            .bind(name)
            .fetch_optional(c)
            .await?
    });
    Ok(row.and_then(|(id, role)| Some((id, Role::parse(&role)?))))
}

/// Adds `fein` to the open employer account `name`: a deliberate admin action, with a
/// reason, audited in the same transaction. Refused when another account holds the FEIN.
pub async fn add_fein(
    db: &Db,
    name: &str,
    fein: &ivd_model::Fein,
    actor: &str,
    reason: &str,
    now: i64,
) -> Result<i64, AccountError> {
    if reason.trim().is_empty() {
        return Err(Refusal::Scope("adding a FEIN to an account needs a reason").into());
    }
    let mut tx = db.begin().await?;
    let Some((id, role)) = open_account(&mut tx, name).await? else {
        return Err(Refusal::NoSuchAccount(name.to_string()).into());
    };
    if role != Role::Employer {
        return Err(Refusal::Scope("only employer accounts hold FEINs").into());
    }
    if let Some(fein) = held_elsewhere(&mut tx, std::slice::from_ref(fein), Some(id)).await? {
        return Err(Refusal::FeinHeld(fein_text(&fein)).into());
    }
    hold_in(&mut tx, id, fein, now).await?;
    audit::append(
        &mut tx,
        &NewEntry {
            actor,
            action: "account.add_fein",
            subject: &format!("account:{id}"),
            reason: Some(reason),
            details: serde_json::json!({ "fein": fein.expose() }),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Closes the open account `name`: every token revoked, every session ended, every FEIN
/// released, in one transaction with its audit entry. The name is never given out again.
/// Returns the account id and how many tokens were revoked.
pub async fn close(db: &Db, name: &str, actor: &str, now: i64) -> Result<(i64, u64), AccountError> {
    let mut tx = db.begin().await?;
    let Some((id, _)) = open_account(&mut tx, name).await? else {
        return Err(Refusal::NoSuchAccount(name.to_string()).into());
    };
    let revoked = on_tx!(&mut tx, c => {
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(c)
            .await?
            .rows_affected()
    });
    on_tx!(&mut tx, c => {
        sqlx::query("UPDATE account_feins SET released_at = $1 WHERE account_id = $2 AND released_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&mut *c)
            .await?;
        sqlx::query("DELETE FROM web_sessions WHERE account_id = $1")
            .bind(id)
            .execute(&mut *c)
            .await?;
        sqlx::query("UPDATE accounts SET closed_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    audit::append(
        &mut tx,
        &NewEntry {
            actor,
            action: "account.close",
            subject: &format!("account:{id}"),
            reason: None,
            details: serde_json::json!({ "tokensRevoked": revoked }),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((id, revoked))
}

/// The FEINs account `id` holds now (none once it is closed).
pub async fn feins_of(db: &Db, id: i64) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT f.fein FROM account_feins f JOIN accounts a ON a.id = f.account_id \
             WHERE f.account_id = $1 AND f.released_at IS NULL AND a.closed_at IS NULL ORDER BY f.fein",
        )
        .bind(id)
        .fetch_all(c)
        .await?
    });
    Ok(rows.into_iter().map(|(f,)| f).collect())
}

/// Every account, oldest first, with its FEINs and live tokens.
pub async fn list(db: &Db) -> Result<Vec<Account>, StoreError> {
    let rows: Vec<(i64, String, String, i64, Option<i64>, i64)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT a.id, a.name, a.role, a.created_at, a.closed_at, \
             (SELECT COUNT(*) FROM api_tokens t WHERE t.account_id = a.id AND t.revoked_at IS NULL) \
             FROM accounts a ORDER BY a.id",
        )
        .fetch_all(c)
        .await?
    });
    let mut accounts = Vec::with_capacity(rows.len());
    for (id, name, role, created_at, closed_at, live_tokens) in rows {
        accounts.push(Account {
            feins: feins_of(db, id).await?,
            id,
            name,
            role,
            created_at,
            closed_at,
            live_tokens,
        });
    }
    Ok(accounts)
}
