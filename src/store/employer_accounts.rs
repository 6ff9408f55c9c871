//! Employers' requests for an account on the employer pages, and the operator's decision.
//!
//! A request names the account, the business, its FEINs and a contact address; nothing it
//! says grants anything until an operator approves it. Approval issues the account's
//! employer token scoped to those FEINs, records the decision and writes the audit entry in
//! one transaction, fenced on the request still being pending (two operators approving at
//! once issue one token). The token is returned once, for the operator to hand over.

use crate::audit::{self, NewEntry};
use crate::store::tokens::{self, Role};
use crate::store::{Db, StoreError};
use crate::{on_read, on_tx};

/// A request waiting for, or given, a decision.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Registration {
    /// Its id.
    pub id: i64,
    /// The account name asked for (the sign-in name).
    pub account_name: String,
    /// The business.
    pub business_name: String,
    /// Comma-separated 9-digit FEINs.
    pub feins: String,
    /// Where the agency answers.
    pub contact_email: String,
    /// pending, approved or refused.
    pub state: String,
    /// When it was asked.
    pub requested_at: i64,
}

/// True when `account_name` is in use by a live token or a pending request.
pub async fn name_taken(db: &Db, account_name: &str) -> Result<bool, StoreError> {
    let (n,): (i64,) = on_read!(db, c => {
        sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM api_tokens WHERE name = $1 AND revoked_at IS NULL) + \
             (SELECT COUNT(*) FROM employer_registrations WHERE account_name = $1 AND state = 'pending')",
        )
        .bind(account_name)
        .fetch_one(c)
        .await?
    });
    Ok(n > 0)
}

/// Stores a request; returns its id.
pub async fn request(
    db: &Db,
    account_name: &str,
    business_name: &str,
    feins: &[ivd_model::Fein],
    contact_email: &str,
    now: i64,
) -> Result<i64, StoreError> {
    let feins: Vec<&str> = feins.iter().map(|f| f.expose()).collect();
    let mut tx = db.begin().await?;
    let (id,): (i64,) = on_tx!(&mut tx, c => {
        sqlx::query_as(
            "INSERT INTO employer_registrations (account_name, business_name, feins, contact_email, state, requested_at) \
             VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING id",
        )
        .bind(account_name)
        .bind(business_name)
        .bind(feins.join(","))
        .bind(contact_email)
        .bind(now)
        .fetch_one(c)
        .await?
    });
    tx.commit().await?;
    Ok(id)
}

/// The pending requests, oldest first.
pub async fn pending(db: &Db) -> Result<Vec<Registration>, StoreError> {
    Ok(on_read!(db, c => {
        sqlx::query_as::<_, Registration>(
            "SELECT id, account_name, business_name, feins, contact_email, state, requested_at \
             FROM employer_registrations WHERE state = 'pending' ORDER BY requested_at, id LIMIT 500",
        )
        .fetch_all(c)
        .await?
    }))
}

/// What a decision did.
#[derive(Debug)]
pub enum Decided {
    /// Approved: the account's token, shown once.
    Approved {
        /// The account name.
        account_name: String,
        /// The token.
        token: String,
    },
    /// Refused.
    Refused,
    /// The request was not pending (decided already, or unknown).
    NotPending,
}

/// Approves or refuses request `id` as `operator`.
pub async fn decide(
    db: &Db,
    id: i64,
    approve: bool,
    operator: &str,
    now: i64,
) -> Result<Decided, StoreError> {
    let mut tx = db.begin().await?;
    let row: Option<(String, String)> = on_tx!(&mut tx, c => {
        sqlx::query_as(
            "UPDATE employer_registrations SET state = $1, decided_at = $2, decided_by = $3 \
             WHERE id = $4 AND state = 'pending' RETURNING account_name, feins",
        )
        .bind(if approve { "approved" } else { "refused" })
        .bind(now)
        .bind(operator)
        .bind(id)
        .fetch_optional(c)
        .await?
    });
    let Some((account_name, feins)) = row else {
        return Ok(Decided::NotPending);
    };
    let feins: Vec<ivd_model::Fein> = feins
        .split(',')
        .filter_map(|f| ivd_model::Fein::parse(f).ok())
        .collect();
    audit::append(
        &mut tx,
        &NewEntry {
            actor: operator,
            action: if approve {
                "employer_account.approve"
            } else {
                "employer_account.refuse"
            },
            subject: &format!("employer-registration:{id}"),
            reason: None,
            details: serde_json::json!({ "account": account_name, "feins": feins.len() }),
        },
        now,
    )
    .await?;
    let decided = if approve {
        let token =
            tokens::issue_scoped_in(&mut tx, &account_name, Role::Employer, &feins, now).await?;
        Decided::Approved {
            account_name,
            token,
        }
    } else {
        Decided::Refused
    };
    tx.commit().await?;
    Ok(decided)
}
