//! Employers' requests for an account on the employer pages, and an admin's decision.
//!
//! A request names the account, the business, its FEINs and a contact address; nothing it
//! says grants anything until an **admin** approves it (operators see the requests, they do
//! not decide them). The rules:
//!
//! - The requester can never approve their own request: a request filed while the
//!   browser carried a signed-in session records that session's account id, and that
//!   account's decision is refused.
//! - Approval opens the account through [`crate::store::accounts`], so a name ever used,
//!   or a FEIN another account holds, is refused; the request then stays pending with the
//!   reason shown, for the admin to refuse.
//! - Approval issues the account's first token, records the decision (by account id) and
//!   writes the audit entry in one transaction, fenced on the request still being pending
//!   (two admins approving at once open one account). The token is returned once, for the
//!   admin to hand over.
//! - Requests are limited per client address and in total, so the queue cannot be
//!   flooded ([`RegistrationLimits`]).

use crate::audit::{self, NewEntry};
use crate::store::accounts::{AccountError, Refusal};
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
    /// The signed-in account the request came with, if any.
    pub requested_by_account: Option<i64>,
}

/// How many requests the employer pages take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegistrationLimits {
    /// Requests one client address may file per hour.
    pub per_address_per_hour: i64,
    /// Pending requests at most; beyond, new requests are turned away until some are decided.
    pub max_pending: i64,
}

/// Why a request was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotTaken {
    /// This address filed its hourly share.
    TooManyFromHere,
    /// Too many requests wait for a decision.
    QueueFull,
}

/// True when `account_name` belongs, or once belonged, to an account, or is asked for by a
/// pending request.
pub async fn name_taken(db: &Db, account_name: &str) -> Result<bool, StoreError> {
    let (n,): (i64,) = on_read!(db, c => {
        sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM accounts WHERE name = $1) + \
             (SELECT COUNT(*) FROM employer_registrations WHERE account_name = $1 AND state = 'pending')",
        )
        .bind(account_name)
        .fetch_one(c)
        .await?
    });
    Ok(n > 0)
}

/// A request to store.
#[derive(Clone, Copy, Debug)]
pub struct NewRequest<'a> {
    /// The account name asked for.
    pub account_name: &'a str,
    /// The business.
    pub business_name: &'a str,
    /// Its FEINs.
    pub feins: &'a [ivd_model::Fein],
    /// Where to answer.
    pub contact_email: &'a str,
    /// The signed-in account the request came with, if any.
    pub requested_by_account: Option<i64>,
    /// The client address it came from.
    pub client: &'a str,
}

/// Stores a request within `limits`; returns its id, or why it was not taken.
pub async fn request(
    db: &Db,
    new: &NewRequest<'_>,
    limits: RegistrationLimits,
    now: i64,
) -> Result<Result<i64, NotTaken>, StoreError> {
    let feins: Vec<&str> = new.feins.iter().map(|f| f.expose()).collect();
    let mut tx = db.begin().await?;
    let (from_here, pending): (i64, i64) = on_tx!(&mut tx, c => {
        sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM employer_registrations WHERE client = $1 AND requested_at > $2), \
             (SELECT COUNT(*) FROM employer_registrations WHERE state = 'pending')",
        )
        .bind(new.client)
        .bind(now - 3_600_000)
        .fetch_one(c)
        .await?
    });
    if from_here >= limits.per_address_per_hour {
        return Ok(Err(NotTaken::TooManyFromHere));
    }
    if pending >= limits.max_pending {
        return Ok(Err(NotTaken::QueueFull));
    }
    let (id,): (i64,) = on_tx!(&mut tx, c => {
        sqlx::query_as(
            "INSERT INTO employer_registrations (account_name, business_name, feins, contact_email, state, \
             requested_at, requested_by_account, client) \
             VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7) RETURNING id",
        )
        .bind(new.account_name)
        .bind(new.business_name)
        .bind(feins.join(","))
        .bind(new.contact_email)
        .bind(now)
        .bind(new.requested_by_account)
        .bind(new.client)
        .fetch_one(c)
        .await?
    });
    tx.commit().await?;
    Ok(Ok(id))
}

/// One page of pending requests.
#[derive(Clone, Debug)]
pub struct PendingPage {
    /// The requests of this page, oldest first.
    pub requests: Vec<Registration>,
    /// How many are pending in all.
    pub total: i64,
    /// The id to ask the next page after, when there is one.
    pub next_after: Option<i64>,
}

/// Up to `limit` pending requests after request id `after` (oldest first), and the total.
pub async fn pending(db: &Db, after: i64, limit: i64) -> Result<PendingPage, StoreError> {
    let mut requests: Vec<Registration> = on_read!(db, c => {
        sqlx::query_as::<_, Registration>(
            "SELECT id, account_name, business_name, feins, contact_email, state, requested_at, \
             requested_by_account FROM employer_registrations WHERE state = 'pending' AND id > $1 \
             ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit + 1)
        .fetch_all(c)
        .await?
    });
    let (total,): (i64,) = on_read!(db, c => {
        sqlx::query_as("SELECT COUNT(*) FROM employer_registrations WHERE state = 'pending'")
            .fetch_one(c)
            .await?
    });
    let next_after = if requests.len() as i64 > limit {
        requests.truncate(limit as usize);
        requests.last().map(|r| r.id)
    } else {
        None
    };
    Ok(PendingPage {
        requests,
        total,
        next_after,
    })
}

/// What a decision did.
#[derive(Debug)]
pub enum Decided {
    /// Approved: the account's token, shown once.
    Approved {
        /// The account name.
        account_name: String,
        /// The new account's id.
        account_id: i64,
        /// The token.
        token: String,
    },
    /// Refused.
    Refused,
    /// The request was not pending (decided already, or unknown).
    NotPending,
    /// The deciding admin filed this request: another admin must decide it.
    OwnRequest,
    /// Approval was refused by an account rule (name or FEIN held); still pending.
    Blocked(Refusal),
}

/// Who decides: an admin, by account id.
#[derive(Clone, Copy, Debug)]
pub struct Decider<'a> {
    /// The admin's account id.
    pub account_id: i64,
    /// How the audit trail names them.
    pub actor: &'a str,
}

/// Approves or refuses request `id` as `decider` (the caller checks the admin role).
pub async fn decide(
    db: &Db,
    id: i64,
    approve: bool,
    decider: Decider<'_>,
    now: i64,
) -> Result<Decided, StoreError> {
    let mut tx = db.begin().await?;
    let asked_by: Option<(Option<i64>,)> = on_tx!(&mut tx, c => {
        sqlx::query_as(
            "SELECT requested_by_account FROM employer_registrations WHERE id = $1 AND state = 'pending'",
        )
        .bind(id)
        .fetch_optional(c)
        .await?
    });
    match asked_by {
        None => return Ok(Decided::NotPending),
        Some((Some(requester),)) if requester == decider.account_id => {
            return Ok(Decided::OwnRequest);
        }
        Some(_) => {}
    }
    // Fenced on the request still pending: of two admins deciding at once, one wins.
    let row: Option<(String, String)> = on_tx!(&mut tx, c => {
        sqlx::query_as(
            "UPDATE employer_registrations SET state = $1, decided_at = $2, decided_by = $3, \
             decided_by_account = $4 WHERE id = $5 AND state = 'pending' RETURNING account_name, feins",
        )
        .bind(if approve { "approved" } else { "refused" })
        .bind(now)
        .bind(decider.actor)
        .bind(decider.account_id)
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
    let decided = if approve {
        let opened = tokens::open_with_token_in(
            &mut tx,
            &account_name,
            Role::Employer,
            &feins,
            decider.actor,
            now,
        )
        .await;
        let (account_id, token) = match opened {
            Ok(opened) => opened,
            // Dropping the transaction undoes the decision: the request stays pending.
            Err(AccountError::Refused(refusal)) => return Ok(Decided::Blocked(refusal)),
            Err(AccountError::Store(error)) => return Err(error),
        };
        on_tx!(&mut tx, c => {
            sqlx::query("UPDATE employer_registrations SET account_id = $1 WHERE id = $2")
                .bind(account_id)
                .bind(id)
                .execute(c)
                .await?
                .rows_affected()
        });
        Decided::Approved {
            account_name,
            account_id,
            token,
        }
    } else {
        Decided::Refused
    };
    let account = match &decided {
        Decided::Approved { account_id, .. } => Some(*account_id),
        _ => None,
    };
    audit::append(
        &mut tx,
        &NewEntry {
            actor: decider.actor,
            action: if approve {
                "employer_account.approve"
            } else {
                "employer_account.refuse"
            },
            subject: &format!("employer-registration:{id}"),
            reason: None,
            details: serde_json::json!({ "account": account, "feins": feins.len() }),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(decided)
}
