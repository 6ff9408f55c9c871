//! CSENet codes: function, action and reason codes, the catalog of valid
//! function/action/reason combinations (spec §1.6, IGD Appendix B) and the blocks each
//! combination carries (spec §1.7, IGD Appendix D, with the header indicator rules of
//! §1.3).
//!
//! Codes the tables do not know are kept verbatim ([`FunctionCode::Other`],
//! [`ActionCode::Other`], reasons are plain strings) so that a new OCSS release does not
//! break ingest; such a transaction fails [`crate::Transaction::check_rules`] with
//! `INVALID_FAR` instead of failing to parse.

use std::fmt;
use std::sync::OnceLock;

mod tables;

use tables::{FAR_CATALOG, MATRIX};

/// The Functional-Type-Code (header position 35–37).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FunctionCode {
    /// `LO1` Quick Locate.
    Lo1,
    /// `CSI` Case Status Information.
    Csi,
    /// `ENF` Enforcement.
    Enf,
    /// `EST` Order Establishment.
    Est,
    /// `PAT` Paternity Establishment.
    Pat,
    /// `MSC` Managing State Cases.
    Msc,
    /// `COL` Collection.
    Col,
    /// A code not in the spec, kept verbatim (trailing spaces trimmed).
    Other(String),
}

impl FunctionCode {
    /// Every known function.
    pub const ALL: [FunctionCode; 7] = [
        FunctionCode::Lo1,
        FunctionCode::Csi,
        FunctionCode::Enf,
        FunctionCode::Est,
        FunctionCode::Pat,
        FunctionCode::Msc,
        FunctionCode::Col,
    ];

    /// The 3-character code.
    pub fn code(&self) -> &str {
        match self {
            FunctionCode::Lo1 => "LO1",
            FunctionCode::Csi => "CSI",
            FunctionCode::Enf => "ENF",
            FunctionCode::Est => "EST",
            FunctionCode::Pat => "PAT",
            FunctionCode::Msc => "MSC",
            FunctionCode::Col => "COL",
            FunctionCode::Other(s) => s,
        }
    }

    /// The function for `code`; unknown codes become [`FunctionCode::Other`].
    pub fn parse(code: &str) -> FunctionCode {
        match code {
            "LO1" => FunctionCode::Lo1,
            "CSI" => FunctionCode::Csi,
            "ENF" => FunctionCode::Enf,
            "EST" => FunctionCode::Est,
            "PAT" => FunctionCode::Pat,
            "MSC" => FunctionCode::Msc,
            "COL" => FunctionCode::Col,
            other => FunctionCode::Other(other.to_owned()),
        }
    }

    /// What the code means.
    pub fn meaning(&self) -> &'static str {
        match self {
            FunctionCode::Lo1 => "Quick Locate",
            FunctionCode::Csi => "Case Status Information",
            FunctionCode::Enf => "Enforcement",
            FunctionCode::Est => "Order Establishment",
            FunctionCode::Pat => "Paternity Establishment",
            FunctionCode::Msc => "Managing State Cases",
            FunctionCode::Col => "Collection",
            FunctionCode::Other(_) => "unknown function",
        }
    }
}

impl fmt::Display for FunctionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// JSON: the 3-letter code as a string (`"LO1"`); an unknown code reads as
/// [`FunctionCode::Other`], kept verbatim.
impl serde::Serialize for FunctionCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for FunctionCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = <String as serde::Deserialize>::deserialize(d)?;
        Ok(FunctionCode::parse(&code))
    }
}

/// The Action-Code (header position 34).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActionCode {
    /// `R` Request: starts an exchange.
    Request,
    /// `P` Provision of information / response.
    Provide,
    /// `A` Acknowledgment of receipt.
    Acknowledge,
    /// `U` Update of an earlier request.
    Update,
    /// `C` Cancel an earlier request.
    Cancel,
    /// `M` Reminder: response overdue.
    Reminder,
    /// A code not in the spec, kept verbatim.
    Other(String),
}

impl ActionCode {
    /// Every known action.
    pub const ALL: [ActionCode; 6] = [
        ActionCode::Request,
        ActionCode::Provide,
        ActionCode::Acknowledge,
        ActionCode::Update,
        ActionCode::Cancel,
        ActionCode::Reminder,
    ];

    /// The 1-character code.
    pub fn code(&self) -> &str {
        match self {
            ActionCode::Request => "R",
            ActionCode::Provide => "P",
            ActionCode::Acknowledge => "A",
            ActionCode::Update => "U",
            ActionCode::Cancel => "C",
            ActionCode::Reminder => "M",
            ActionCode::Other(s) => s,
        }
    }

    /// The action for `code`; unknown codes become [`ActionCode::Other`].
    pub fn parse(code: &str) -> ActionCode {
        match code {
            "R" => ActionCode::Request,
            "P" => ActionCode::Provide,
            "A" => ActionCode::Acknowledge,
            "U" => ActionCode::Update,
            "C" => ActionCode::Cancel,
            "M" => ActionCode::Reminder,
            other => ActionCode::Other(other.to_owned()),
        }
    }

    fn letter(&self) -> char {
        self.code().chars().next().unwrap_or(' ')
    }
}

impl fmt::Display for ActionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// JSON: the 1-letter code as a string (`"R"`); an unknown code reads as
/// [`ActionCode::Other`], kept verbatim.
impl serde::Serialize for ActionCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for ActionCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = <String as serde::Deserialize>::deserialize(d)?;
        Ok(ActionCode::parse(&code))
    }
}

/// One valid function/action/reason combination of the catalog (§1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Far {
    /// Function code, e.g. `"LO1"`.
    pub function: &'static str,
    /// Action code letter.
    pub action: char,
    /// Reason code, `""` when blank.
    pub reason: &'static str,
    /// Meaning (abridged, from IGD Appendix B).
    pub meaning: &'static str,
}

impl Far {
    const fn new(
        function: &'static str,
        action: char,
        reason: &'static str,
        meaning: &'static str,
    ) -> Self {
        Far {
            function,
            action,
            reason,
            meaning,
        }
    }
}

/// What the functional matrix (§1.7) prescribes for one header indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// `1`: the block must be present (for repeating blocks: at least one).
    One,
    /// `0`: the block must be absent.
    Zero,
    /// `f`: fill as appropriate; the general header rules of §1.3 apply.
    Fill,
    /// `?`: not captured by the extraction; treated like `f`.
    Unknown,
}
use Presence::{Fill, One, Unknown, Zero};

/// One page of the functional matrix (§1.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatrixRow {
    /// Function code.
    pub function: &'static str,
    /// Action code letter.
    pub action: char,
    /// Reason code, `""` when blank.
    pub reason: &'static str,
    /// Title (abridged).
    pub title: &'static str,
    /// Who sends it (`Initiating`, `Responding`, …).
    pub sent_by: &'static str,
    /// Case, NCP-ID, NCP Locate, Participant, Order, Collection, Information.
    pub blocks: [Presence; 7],
}

impl MatrixRow {
    const fn new(
        function: &'static str,
        action: char,
        reason: &'static str,
        title: &'static str,
        sent_by: &'static str,
        blocks: [Presence; 7],
    ) -> Self {
        MatrixRow {
            function,
            action,
            reason,
            title,
            sent_by,
            blocks,
        }
    }
}

/// The seven kinds of data block, in transaction order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BlockKind {
    /// Case Data (0–1).
    CaseData,
    /// NCP Identification (0–1).
    NcpIdentification,
    /// NCP Locate (0–1).
    NcpLocate,
    /// Participant (0–9).
    Participant,
    /// Order (0–9).
    Order,
    /// Collection (0–9).
    Collection,
    /// Information (0–1).
    Information,
}

impl BlockKind {
    /// All kinds, in transaction (and header indicator) order.
    pub const ALL: [BlockKind; 7] = [
        BlockKind::CaseData,
        BlockKind::NcpIdentification,
        BlockKind::NcpLocate,
        BlockKind::Participant,
        BlockKind::Order,
        BlockKind::Collection,
        BlockKind::Information,
    ];

    /// Index in [`BlockKind::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Length of one block in bytes.
    #[allow(clippy::len_without_is_empty)] // a block kind is never empty
    pub const fn len(self) -> usize {
        match self {
            BlockKind::CaseData => 351,
            BlockKind::NcpIdentification => 181,
            BlockKind::NcpLocate => 1421,
            BlockKind::Participant => 341,
            BlockKind::Order => 254,
            BlockKind::Collection => 70,
            BlockKind::Information => 416,
        }
    }

    /// Most blocks of this kind in one transaction (1 or 9).
    pub const fn max_count(self) -> u8 {
        match self {
            BlockKind::Participant | BlockKind::Order | BlockKind::Collection => 9,
            _ => 1,
        }
    }

    /// Name of the header indicator field.
    pub const fn indicator(self) -> &'static str {
        match self {
            BlockKind::CaseData => "Case-Data-Ind",
            BlockKind::NcpIdentification => "NCP-Identification-Ind",
            BlockKind::NcpLocate => "NCP-Locate-Data-Ind",
            BlockKind::Participant => "Participant-Data-Ind",
            BlockKind::Order => "Order-Data-Ind",
            BlockKind::Collection => "Collection-Data-Ind",
            BlockKind::Information => "Information-Ind",
        }
    }

    /// 1-based header position of the indicator.
    pub const fn indicator_position(self) -> usize {
        90 + self as usize
    }

    /// Label used in error field names (`CASE_DATA`, `PARTICIPANT`, …).
    pub const fn label(self) -> &'static str {
        match self {
            BlockKind::CaseData => "CASE_DATA",
            BlockKind::NcpIdentification => "NCP_ID",
            BlockKind::NcpLocate => "NCP_LOCATE",
            BlockKind::Participant => "PARTICIPANT",
            BlockKind::Order => "ORDER",
            BlockKind::Collection => "COLLECTION",
            BlockKind::Information => "INFORMATION",
        }
    }
}

/// How many blocks of one kind a transaction must carry: `min..=max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRule {
    /// Fewest allowed.
    pub min: u8,
    /// Most allowed.
    pub max: u8,
}

impl BlockRule {
    /// Whether `count` blocks satisfy the rule.
    pub fn allows(self, count: usize) -> bool {
        (usize::from(self.min)..=usize::from(self.max)).contains(&count)
    }
}

/// The block rules of one transaction, indexed by [`BlockKind::index`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirements {
    /// One rule per block kind.
    pub blocks: [BlockRule; 7],
}

impl Requirements {
    /// The rule for `kind`.
    pub fn rule(&self, kind: BlockKind) -> BlockRule {
        self.blocks[kind.index()]
    }
}

/// A combination as the tables key it: function code, action letter, reason.
type ComboKey<'a> = (&'a str, char, &'a str);

/// A combination packed into one integer, one byte per character: up to 4 bytes of
/// function code, the action letter, up to 11 bytes of reason. Comparing two integers
/// is what makes a look-up cheap (comparing string triples was most of its cost).
/// `None` for a combination no table row can be: a part too long, a non-ASCII action,
/// or a NUL byte (which the zero padding could not tell from the end of a part).
fn packed((function, action, reason): ComboKey<'_>) -> Option<u128> {
    let (function, reason) = (function.as_bytes(), reason.as_bytes());
    if !action.is_ascii() || action == '\0' || function.contains(&0) || reason.contains(&0) {
        return None;
    }
    let mut bytes = [0u8; 16];
    bytes.get_mut(..function.len())?.copy_from_slice(function);
    bytes[4] = action as u8;
    bytes.get_mut(5..5 + reason.len())?.copy_from_slice(reason);
    Some(u128::from_be_bytes(bytes))
}

/// `(key, row)` pairs sorted by packed key, one per key (the first row of the table
/// wins, as a linear search would find it), for binary search: every transaction looks
/// its combination up in both tables, and a linear scan of 190 rows by string was a hot
/// spot.
fn sorted_index(keys: impl Iterator<Item = ComboKey<'static>>) -> Vec<(u128, usize)> {
    // Every row packs (the tables are static; the look-up test finds each row).
    let mut index: Vec<_> = keys
        .enumerate()
        .filter_map(|(row, key)| Some((packed(key)?, row)))
        .collect();
    // Stable: among equal keys the earlier row stays first, and dedup keeps it.
    index.sort_by_key(|&(key, _)| key);
    index.dedup_by(|later, earlier| later.0 == earlier.0);
    index
}

/// The row of `key` in a table indexed by [`sorted_index`].
fn lookup(index: &[(u128, usize)], key: ComboKey<'_>) -> Option<usize> {
    let key = packed(key)?;
    index
        .binary_search_by_key(&key, |&(k, _)| k)
        .ok()
        .and_then(|at| index.get(at))
        .map(|(_, row)| *row)
}

fn far_index() -> &'static [(u128, usize)] {
    static INDEX: OnceLock<Vec<(u128, usize)>> = OnceLock::new();
    INDEX.get_or_init(|| sorted_index(FAR_CATALOG.iter().map(|f| (f.function, f.action, f.reason))))
}

fn matrix_index() -> &'static [(u128, usize)] {
    static INDEX: OnceLock<Vec<(u128, usize)>> = OnceLock::new();
    INDEX.get_or_init(|| sorted_index(MATRIX.iter().map(|m| (m.function, m.action, m.reason))))
}

/// The catalog entry of a combination, if the combination is valid.
pub fn far(function: &FunctionCode, action: &ActionCode, reason: &str) -> Option<&'static Far> {
    lookup(far_index(), (function.code(), action.letter(), reason))
        .and_then(|row| FAR_CATALOG.get(row))
}

/// Whether `function`/`action`/`reason` is a valid combination (§1.6). `reason` is
/// compared trimmed of trailing spaces; `""` is the blank reason.
pub fn is_valid_far(function: &FunctionCode, action: &ActionCode, reason: &str) -> bool {
    far(function, action, reason.trim_end()).is_some()
}

/// The full catalog of valid combinations (§1.6, 190 rows).
pub fn far_catalog() -> &'static [Far] {
    FAR_CATALOG
}

/// The functional matrix rows (§1.7).
pub fn matrix() -> &'static [MatrixRow] {
    MATRIX
}

/// The matrix row of a combination, if the matrix has one.
pub fn matrix_row(
    function: &FunctionCode,
    action: &ActionCode,
    reason: &str,
) -> Option<&'static MatrixRow> {
    lookup(matrix_index(), (function.code(), action.letter(), reason))
        .and_then(|row| MATRIX.get(row))
}

/// The blocks a transaction with this combination must, may and must not carry.
///
/// Built in three steps (the order is a decision, see the crate docs):
/// 1. the general header indicator rules of §1.3 give each block a rule;
/// 2. a matrix row (§1.7), where there is one, overrides them with its fixed `1` / `0`
///    values (`f` and `?` keep the general rule); for `MSC P REJCT` the header rules
///    explicitly allow Case Data and NCP-ID, so its matrix `0`s are read as `f`;
/// 3. the header "must" rules are applied on top: two or more participants for
///    PAT/EST/ENF requests and updates and `MSC R GRPAY`; at least one order for ENF
///    requests and updates; NCP Locate for PAT/EST/ENF requests and updates; at least one
///    collection for `COL P CITAX`; an Information block when `attachments` is set, for
///    `MSC P REJCT`/`GSCAS`/`GSTAI`, and for `MSC P` with a blank reason ("reason
///    explained in Information Data Block").
pub fn requirements(
    function: &FunctionCode,
    action: &ActionCode,
    reason: &str,
    attachments: bool,
) -> Requirements {
    use ActionCode as A;
    use FunctionCode as F;
    let reason = reason.trim_end();
    let second_is = |c: char| reason.chars().nth(1) == Some(c);
    let single = |min: u8| BlockRule { min, max: 1 };
    let many = |min: u8| BlockRule { min, max: 9 };
    let is_ack_like = matches!(action, A::Acknowledge | A::Cancel | A::Reminder);
    let pee = matches!(function, F::Pat | F::Est | F::Enf);
    let request_or_update = matches!(action, A::Request | A::Update);

    // 1. General header indicator rules (§1.3).
    let case_optional = is_ack_like
        || (*function == F::Msc && request_or_update)
        || (*function == F::Csi && *action == A::Request)
        || (*function == F::Csi && *action == A::Provide && !second_is('S'))
        || (*function == F::Msc && *action == A::Provide && reason == "REJCT");
    let ncp_optional = is_ack_like || matches!(function, F::Col | F::Msc | F::Csi);
    let mut rules = [
        single(if case_optional { 0 } else { 1 }),
        single(if ncp_optional { 0 } else { 1 }),
        single(0),
        many(0),
        many(0),
        many(0),
        single(0),
    ];
    if *function == F::Msc && *action == A::Request && reason == "GRPAY" {
        rules[0] = single(1);
        rules[1] = single(1);
    }
    if *function == F::Col && *action == A::Provide && reason == "CISUB" {
        rules[1] = single(1);
    }

    // 2. The matrix row overrides with its fixed values.
    if let Some(row) = matrix_row(function, action, reason) {
        let rejct = row.function == "MSC" && row.action == 'P' && row.reason == "REJCT";
        for (i, presence) in row.blocks.iter().enumerate() {
            let max = rules[i].max;
            match presence {
                One => rules[i] = BlockRule { min: 1, max },
                Zero if rejct && i < 2 => rules[i] = BlockRule { min: 0, max },
                Zero => rules[i] = BlockRule { min: 0, max: 0 },
                Fill | Unknown => {}
            }
        }
    }

    // 3. The header "must" rules.
    let at_least = |rule: &mut BlockRule, min: u8| {
        rule.min = rule.min.max(min);
        rule.max = rule.max.max(rule.min);
    };
    if pee && request_or_update {
        at_least(&mut rules[2], 1);
        at_least(&mut rules[3], 2);
    }
    if *function == F::Msc && *action == A::Request && reason == "GRPAY" {
        at_least(&mut rules[3], 2);
    }
    if *function == F::Lo1 && *action == A::Provide && second_is('S') {
        at_least(&mut rules[2], 1);
    }
    if *function == F::Csi && *action == A::Provide && second_is('S') {
        at_least(&mut rules[3], 1);
    }
    if *function == F::Enf && request_or_update {
        at_least(&mut rules[4], 1);
    }
    if *function == F::Col && *action == A::Provide && reason == "CITAX" {
        at_least(&mut rules[5], 1);
    }
    let info_needed = attachments
        || (*function == F::Msc
            && *action == A::Provide
            && matches!(reason, "REJCT" | "GSCAS" | "GSTAI" | ""));
    if info_needed {
        at_least(&mut rules[6], 1);
    }
    Requirements { blocks: rules }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The binary-search look-ups agree with a linear search of the tables (first row
    /// wins) for every catalogued combination, every matrix row, and every known
    /// function × action with every reason either table knows, blank and unknown ones.
    #[test]
    fn indexed_lookups_agree_with_a_linear_search() {
        let linear_far = |f: &FunctionCode, a: &ActionCode, r: &str| {
            FAR_CATALOG
                .iter()
                .find(|x| x.function == f.code() && x.action == a.letter() && x.reason == r)
        };
        let linear_matrix = |f: &FunctionCode, a: &ActionCode, r: &str| {
            MATRIX
                .iter()
                .find(|x| x.function == f.code() && x.action == a.letter() && x.reason == r)
        };
        let mut reasons: Vec<&str> = FAR_CATALOG.iter().map(|f| f.reason).collect();
        reasons.extend(MATRIX.iter().map(|m| m.reason));
        reasons.extend([
            "",
            "XXXXX",
            "LSADR ",
            "lsadr",
            "LSADR\0",
            "\0",
            "LSADRLSADRLSADR",
        ]);
        let mut functions = FunctionCode::ALL.to_vec();
        functions.push(FunctionCode::Other("XYZ".into()));
        let mut actions = ActionCode::ALL.to_vec();
        actions.push(ActionCode::Other("Z".into()));
        let mut found = 0;
        for f in &functions {
            for a in &actions {
                for r in &reasons {
                    let got = far(f, a, r);
                    assert_eq!(
                        got.map(std::ptr::from_ref),
                        linear_far(f, a, r).map(std::ptr::from_ref),
                        "{f} {a} {r:?}"
                    );
                    assert_eq!(
                        matrix_row(f, a, r).map(std::ptr::from_ref),
                        linear_matrix(f, a, r).map(std::ptr::from_ref),
                        "{f} {a} {r:?}"
                    );
                    found += usize::from(got.is_some());
                }
            }
        }
        for row in FAR_CATALOG {
            let (f, a) = (
                FunctionCode::parse(row.function),
                ActionCode::parse(&row.action.to_string()),
            );
            assert!(far(&f, &a, row.reason).is_some(), "{row:?}");
        }
        for row in MATRIX {
            let (f, a) = (
                FunctionCode::parse(row.function),
                ActionCode::parse(&row.action.to_string()),
            );
            assert!(matrix_row(&f, &a, row.reason).is_some(), "{row:?}");
        }
        assert!(found > 0);
    }

    #[test]
    fn the_catalog_has_every_row_of_the_spec_and_no_duplicates() {
        assert_eq!(far_catalog().len(), 190);
        let mut seen = std::collections::HashSet::new();
        for f in far_catalog() {
            assert!(seen.insert((f.function, f.action, f.reason)), "{f:?} twice");
            assert!(f.reason.is_empty() || f.reason.len() == 5, "{f:?}");
        }
    }

    #[test]
    fn every_function_code_appears_in_the_catalog() {
        for function in FunctionCode::ALL {
            assert!(far_catalog().iter().any(|f| f.function == function.code()));
        }
    }

    #[test]
    fn every_matrix_row_is_a_valid_combination() {
        for row in matrix() {
            let f = FunctionCode::parse(row.function);
            let a = ActionCode::parse(&row.action.to_string());
            assert!(is_valid_far(&f, &a, row.reason), "{row:?}");
        }
    }

    #[test]
    fn a_quick_locate_request_needs_case_and_ncp_id_and_nothing_else() {
        let r = requirements(&FunctionCode::Lo1, &ActionCode::Request, "", false);
        assert_eq!(r.rule(BlockKind::CaseData), BlockRule { min: 1, max: 1 });
        assert_eq!(
            r.rule(BlockKind::NcpIdentification),
            BlockRule { min: 1, max: 1 }
        );
        assert_eq!(r.rule(BlockKind::NcpLocate), BlockRule { min: 0, max: 0 });
        assert_eq!(r.rule(BlockKind::Information), BlockRule { min: 0, max: 0 });
    }

    #[test]
    fn a_paternity_request_needs_two_participants_even_though_the_matrix_says_fill() {
        let r = requirements(&FunctionCode::Pat, &ActionCode::Request, "", false);
        assert_eq!(r.rule(BlockKind::Participant), BlockRule { min: 2, max: 9 });
        assert_eq!(r.rule(BlockKind::NcpLocate), BlockRule { min: 1, max: 1 });
    }

    #[test]
    fn an_enforcement_request_needs_an_order_and_attachments_need_information() {
        let r = requirements(&FunctionCode::Enf, &ActionCode::Request, "ERWAG", true);
        assert_eq!(r.rule(BlockKind::Order).min, 1);
        assert_eq!(r.rule(BlockKind::Information), BlockRule { min: 1, max: 1 });
    }

    #[test]
    fn a_rejection_carries_only_information_but_may_carry_case_data() {
        let r = requirements(&FunctionCode::Msc, &ActionCode::Provide, "REJCT", false);
        assert_eq!(r.rule(BlockKind::CaseData), BlockRule { min: 0, max: 1 });
        assert_eq!(r.rule(BlockKind::NcpLocate), BlockRule { min: 0, max: 0 });
        assert_eq!(r.rule(BlockKind::Information), BlockRule { min: 1, max: 1 });
    }

    #[test]
    fn unknown_codes_are_kept_verbatim_and_are_not_valid() {
        let f = FunctionCode::parse("XYZ");
        assert_eq!(f, FunctionCode::Other("XYZ".into()));
        assert_eq!(f.code(), "XYZ");
        assert!(!is_valid_far(&f, &ActionCode::Request, ""));
        assert_eq!(ActionCode::parse("Q").code(), "Q");
        assert!(is_valid_far(
            &FunctionCode::Col,
            &ActionCode::Provide,
            "CITAX"
        ));
    }
}
