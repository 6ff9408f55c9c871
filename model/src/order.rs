//! Support orders, obligations, arrears and collections (§2.3, §2.4).

use crate::Jurisdiction;
use crate::codes::{ArrearsType, CollectionType, Frequency, ObligationType};
use crate::ids::{CollectionId, OrderId};
use crate::money::Money;
use serde::{Deserialize, Serialize};
use time::Date;

/// A support order (NIEM `hs:ChildSupportObligationType` grouped by `j:CourtOrder`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SupportOrder {
    /// The state system's order id, unique on the case.
    pub order_id: OrderId,
    /// The state, Tribe or country whose tribunal issued the order.
    pub issuing_jurisdiction: Jurisdiction,
    /// When the order was entered.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::date::iso_date::option"
    )]
    pub ordered_on: Option<Date>,
    /// What the order requires, each with amount and frequency.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub obligations: Vec<Obligation>,
    /// Arrears balances, at most one per [`ArrearsType`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arrears: Vec<Arrears>,
}

impl SupportOrder {
    /// The total of all arrears buckets (NIEM `hs:ChildSupportTotalArrearsAmount`), or `None`
    /// on overflow.
    pub fn total_arrears(&self) -> Option<Money> {
        Money::checked_sum(self.arrears.iter().map(|a| a.amount))
    }
}

/// One obligation of an order: type, amount per period, frequency, dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Obligation {
    /// What is owed.
    pub obligation_type: ObligationType,
    /// Amount per `frequency` period; not negative.
    pub amount: Money,
    /// Payment frequency.
    pub frequency: Frequency,
    /// First day the obligation accrues.
    #[serde(with = "crate::date::iso_date")]
    pub start_on: Date,
    /// Last day it accrues, if ended.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::date::iso_date::option"
    )]
    pub end_on: Option<Date>,
}

/// An arrears balance of one type, as of a date. May be negative (a credit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Arrears {
    /// Which bucket (TANF, non-TANF, interest, fees, recovery).
    pub arrears_type: ArrearsType,
    /// The balance.
    pub amount: Money,
    /// The date the balance was computed.
    #[serde(with = "crate::date::iso_date")]
    pub as_of: Date,
}

/// A collection received on the case (§2.4). Distribution is the state system's business;
/// the gateway only forwards collections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Collection {
    /// The state system's collection id, unique on the case.
    pub collection_id: CollectionId,
    /// Date received.
    #[serde(with = "crate::date::iso_date")]
    pub collected_on: Date,
    /// Amount received; positive.
    pub amount: Money,
    /// Where the money came from.
    pub collection_type: CollectionType,
    /// The order it was applied to, when known; must be an order of the case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_order_id: Option<OrderId>,
}
