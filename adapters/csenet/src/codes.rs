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

/// The catalog (§1.6), generated from the spec's table.
static FAR_CATALOG: &[Far] = &[
    Far::new("LO1", 'R', "", "Quick locate request"),
    Far::new("LO1", 'A', "", "Acknowledgment"),
    Far::new("LO1", 'P', "LICAD", "Address located but not confirmed"),
    Far::new("LO1", 'P', "LICEM", "Employer found but not confirmed"),
    Far::new("LO1", 'P', "LSADR", "Address located and confirmed"),
    Far::new(
        "LO1",
        'P',
        "LSALL",
        "Both an address and employer located and confirmed",
    ),
    Far::new("LO1", 'P', "LSEMP", "Employer located and confirmed"),
    Far::new("LO1", 'P', "LSOTH", "Other information found"),
    Far::new("LO1", 'P', "LSOUT", "NCP out-of-state address verified"),
    Far::new("LO1", 'P', "LUALL", "No information found"),
    Far::new("LO1", 'P', "LUAPD", "NCP found deceased"),
    Far::new("LO1", 'U', "", "Update previous request"),
    Far::new("LO1", 'C', "", "Cancel locate request"),
    Far::new("CSI", 'R', "FRINF", "All available IV-D information"),
    Far::new("CSI", 'R', "FRNNF", "All available non IV-D information"),
    Far::new("CSI", 'P', "FSINF", "All available case information"),
    Far::new("CSI", 'P', "FUINF", "No case information available"),
    Far::new("PAT", 'R', "", "Paternity establishment request"),
    Far::new(
        "PAT",
        'A',
        "AADIN",
        "Additional information needed to proceed",
    ),
    Far::new("PAT", 'A', "ANOAD", "No further information required"),
    Far::new("PAT", 'A', "", "Acknowledgment"),
    Far::new("PAT", 'P', "GSFIL", "Document Filed"),
    Far::new("PAT", 'P', "PIBTS", "Genetic test scheduled"),
    Far::new("PAT", 'P', "PICHS", "Paternity hearing scheduled"),
    Far::new(
        "PAT",
        'P',
        "PIHNS",
        "Putative Father Did Not Show for Paternity Court Hearing",
    ),
    Far::new(
        "PAT",
        'P',
        "PIPNS",
        "Putative father did not show for genetic test",
    ),
    Far::new("PAT", 'P', "PIPUD", "Putative Father Has Denied Paternity"),
    Far::new(
        "PAT",
        'P',
        "PSESO",
        "Paternity established with support order",
    ),
    Far::new(
        "PAT",
        'P',
        "PSEST",
        "Paternity established judicial order, no support order",
    ),
    Far::new(
        "PAT",
        'P',
        "PSSTO",
        "Administrative adjudication of paternity, no support order",
    ),
    Far::new(
        "PAT",
        'P',
        "PUDEN",
        "Paternity establishment request denied",
    ),
    Far::new("PAT", 'P', "PUEST", "Paternity not established"),
    Far::new("PAT", 'U', "", "Update Previous Request"),
    Far::new("PAT", 'M', "", "Reminder Transaction"),
    Far::new("PAT", 'M', "GRPOU", "Attachments Overdue"),
    Far::new(
        "PAT",
        'C',
        "",
        "Paternity Establishment, Cancel Previous Request",
    ),
    Far::new("EST", 'R', "SRADJ", "For review and adjustment"),
    Far::new("EST", 'R', "SRMOD", "For support order modification"),
    Far::new("EST", 'R', "SROMC", "For medical support only"),
    Far::new(
        "EST",
        'R',
        "SROOC",
        "Request Support Order Establishment for Other Costs Only",
    ),
    Far::new("EST", 'R', "SROPP", "For retroactive child support only"),
    Far::new(
        "EST",
        'R',
        "SRORD",
        "For establishment of current child support, including medical support",
    ),
    Far::new(
        "EST",
        'R',
        "SROSS",
        "Request Support Order for Spousal Support",
    ),
    Far::new(
        "EST",
        'R',
        "SRPAT",
        "For establishment of current child support, requesting the establishment of paternity and support",
    ),
    Far::new(
        "EST",
        'A',
        "AADIN",
        "Additional information needed to proceed",
    ),
    Far::new("EST", 'A', "ANOAD", "No further information required"),
    Far::new("EST", 'A', "", "Acknowledgment"),
    Far::new(
        "EST",
        'P',
        "GSARR",
        "Notice of Arrearage Reconciliation/Determination of Sum-certain",
    ),
    Far::new("EST", 'P', "GSCOE", "New controlling order"),
    Far::new("EST", 'P', "GSFIL", "Document Filed"),
    Far::new("EST", 'P', "SCDIS", "Case Dismissed Without Prejudice"),
    Far::new(
        "EST",
        'P',
        "SDCOS",
        "Defendant/Respondent Ordered to Pay Other Costs",
    ),
    Far::new(
        "EST",
        'P',
        "SDPAR",
        "Defendant/Respondent is Parent and Owes Duty",
    ),
    Far::new(
        "EST",
        'P',
        "SDPAY",
        "Defendant/Respondent is Ordered to Pay",
    ),
    Far::new(
        "EST",
        'P',
        "SIANS",
        "NCP Did Not Show for Support Order Hearing",
    ),
    Far::new("EST", 'P', "SICHS", "Support hearing scheduled"),
    Far::new("EST", 'P', "SICPS", "Contempt Proceedings Started"),
    Far::new("EST", 'P', "SSADJ", "Review and modification warranted"),
    Far::new("EST", 'P', "SSCON", "Order Issued/Confirmed"),
    Far::new("EST", 'P', "SSEST", "Support order established"),
    Far::new("EST", 'P', "SSMOD", "Support order modified"),
    Far::new("EST", 'P', "SUADJ", "Review and modification not warranted"),
    Far::new("EST", 'P', "SUDEN", "Support Order Request Denied"),
    Far::new("EST", 'P', "SUEST", "Support order not established"),
    Far::new("EST", 'P', "SUMOD", "Support order not modified"),
    Far::new("EST", 'U', "SRADJ", "Request for Review and Adjustment"),
    Far::new("EST", 'U', "SRMOD", "Request Support Order Modification"),
    Far::new(
        "EST",
        'U',
        "SROMC",
        "Request Support Order Establishment for Medical Coverage Only",
    ),
    Far::new(
        "EST",
        'U',
        "SROOC",
        "Request Support Order Establishment for Other Costs Only",
    ),
    Far::new(
        "EST",
        'U',
        "SROPP",
        "Request Support Order Establishment for a Prior Period Only",
    ),
    Far::new(
        "EST",
        'U',
        "SRORD",
        "Request Support Order Establishment - All Available Support Types",
    ),
    Far::new(
        "EST",
        'U',
        "SROSS",
        "Request Support Order for Spousal Support",
    ),
    Far::new("EST", 'M', "", "Reminder Transaction"),
    Far::new("EST", 'M', "GRPOU", "Attachments Overdue"),
    Far::new("EST", 'C', "", "Cancel Support Order Request"),
    Far::new("ENF", 'R', "ERALL", "All remedies"),
    Far::new("ENF", 'R', "ERARR", "For collection of arrears only"),
    Far::new("ENF", 'R', "EREXO", "Request collection of existing order"),
    Far::new(
        "ENF",
        'R',
        "ERFSM",
        "Registration of Foreign Support Order for Modification by Obligor",
    ),
    Far::new(
        "ENF",
        'R',
        "ERFSO",
        "Registration of Foreign Support Order for Modification by Obligee",
    ),
    Far::new(
        "ENF",
        'R',
        "ERFSS",
        "Registration of Foreign Support Order for Modification by State Agency",
    ),
    Far::new(
        "ENF",
        'R',
        "ERMEE",
        "Registration of foreign support order for modification and enforcement by state agency",
    ),
    Far::new(
        "ENF",
        'R',
        "ERMEM",
        "Registration of foreign support order for modification and enforcement by obligee",
    ),
    Far::new(
        "ENF",
        'R',
        "ERMEO",
        "Registration of foreign support order for modification and enforcement by obligor",
    ),
    Far::new(
        "ENF",
        'R',
        "ERREG",
        "Registration of foreign order for enforcement only by obligor",
    ),
    Far::new(
        "ENF",
        'R',
        "ERREO",
        "Registration of foreign order for enforcement only by obligee",
    ),
    Far::new(
        "ENF",
        'R',
        "ERRES",
        "Registration of foreign order for enforcement only by state agency",
    ),
    Far::new("ENF", 'R', "ERSTA", "Request Status of Enforcement Actions"),
    Far::new("ENF", 'R', "ERTXR", "Administrative review of tax offset"),
    Far::new("ENF", 'R', "ERWAG", "Wage Withholding"),
    Far::new(
        "ENF",
        'A',
        "AADIN",
        "Additional information needed to proceed",
    ),
    Far::new("ENF", 'A', "ANOAD", "No further information required"),
    Far::new("ENF", 'A', "", "Acknowledgment"),
    Far::new("ENF", 'P', "EILMV", "Lien established motor vehicle"),
    Far::new("ENF", 'P', "EILPP", "Lien Established Personal Property"),
    Far::new("ENF", 'P', "EILRE", "Lien established real estate"),
    Far::new("ENF", 'P', "EIWAR", "Arrest warrant issued"),
    Far::new("ENF", 'P', "ESORD", "New Order Established"),
    Far::new("ENF", 'P', "ESREG", "Order registered"),
    Far::new(
        "ENF",
        'P',
        "ESTXR",
        "Administrative review complete, challenge upheld",
    ),
    Far::new("ENF", 'P', "ESWAG", "Wage Withholding Established"),
    Far::new(
        "ENF",
        'P',
        "EUTXR",
        "Administrative review complete, challenge not upheld",
    ),
    Far::new("ENF", 'P', "GIHER", "Notice of Upcoming Hearing"),
    Far::new(
        "ENF",
        'P',
        "GSARR",
        "Notice of Arrearage Reconciliation/Determination of Sum Certain",
    ),
    Far::new("ENF", 'P', "GSCOE", "New controlling order"),
    Far::new("ENF", 'P', "GSFIL", "Document filed"),
    Far::new("ENF", 'P', "SICPS", "Contempt proceeding started"),
    Far::new("ENF", 'U', "ERALL", "Request Enforcement - All Remedies"),
    Far::new("ENF", 'U', "ERARR", "Request Collection of Arrears"),
    Far::new("ENF", 'U', "EREXO", "Request collection of existing order"),
    Far::new(
        "ENF",
        'U',
        "ERFSM",
        "Registration of Foreign Support Order for Modification by Obligor",
    ),
    Far::new(
        "ENF",
        'U',
        "ERFSO",
        "Registration of Foreign Support Order for Modification by Obligee",
    ),
    Far::new(
        "ENF",
        'U',
        "ERFSS",
        "Registration of Foreign Support Order for Modification by State Agency",
    ),
    Far::new(
        "ENF",
        'U',
        "ERMEE",
        "Request Registration of Foreign Support Order for Modification and Enforcement by the State IV-D Agency",
    ),
    Far::new(
        "ENF",
        'U',
        "ERMEM",
        "Request Registration of Foreign Support Order for Modification and Enforcement by Obligee",
    ),
    Far::new(
        "ENF",
        'U',
        "ERMEO",
        "Request Registration of Foreign Support Order for Modification and Enforcement by Obligor",
    ),
    Far::new("ENF", 'U', "ERREG", "Registration of a Support Order"),
    Far::new(
        "ENF",
        'U',
        "ERREO",
        "Request Registration of Foreign Order for Enforcement Only by Obligee",
    ),
    Far::new(
        "ENF",
        'U',
        "ERRES",
        "Request Registration of Foreign Support Order for Enforcement Only by the State IV-D Agency",
    ),
    Far::new("ENF", 'U', "ERSTA", "Request Status of Enforcement Actions"),
    Far::new(
        "ENF",
        'U',
        "ERTXR",
        "Request Administrative Review of Tax Offset",
    ),
    Far::new("ENF", 'U', "ERWAG", "Wage Withholding"),
    Far::new("ENF", 'M', "", "Reminder, response overdue"),
    Far::new("ENF", 'M', "GRPOU", "Attachment(s) Overdue"),
    Far::new("ENF", 'C', "", "Cancel Previous Request"),
    Far::new("MSC", 'R', "GRAFI", "Request Completion of Interrogatories"),
    Far::new(
        "MSC",
        'R',
        "GRAGT",
        "Request Assistance with Genetic Testing",
    ),
    Far::new("MSC", 'R', "GRBTR", "Request to Schedule Genetic Testing"),
    Far::new(
        "MSC",
        'R',
        "GRFIN",
        "Request Financial Data/Proof of Respondent's Income",
    ),
    Far::new(
        "MSC",
        'R',
        "GRGAP",
        "Request Assistance with Service of Process",
    ),
    Far::new("MSC", 'R', "GRINT", "Request for interest information"),
    Far::new("MSC", 'R', "GRPAY", "Request to change payee"),
    Far::new("MSC", 'R', "GRPOC", "Copies of documentation"),
    Far::new(
        "MSC",
        'R',
        "GRTHD",
        "Request Assistance with Teleconference for Hearing or Deposition",
    ),
    Far::new("MSC", 'R', "GRUPD", "Request for status update"),
    Far::new("MSC", 'P', "", "Reason Explained in Information Data Block"),
    Far::new("MSC", 'P', "GIHER", "Notice of an upcoming hearing"),
    Far::new("MSC", 'P', "GSADD", "Add dependent participant"),
    Far::new(
        "MSC",
        'P',
        "GSC02",
        "Case closure reason 45 CFR 303.11(b)(1)",
    ),
    Far::new(
        "MSC",
        'P',
        "GSC03",
        "Case closure reason 45 CFR 303.11(b)(2)",
    ),
    Far::new(
        "MSC",
        'P',
        "GSC05",
        "Case closure reason 45 CFR 303.11(b)(4)(i)",
    ),
    Far::new(
        "MSC",
        'P',
        "GSC06",
        "Case closure reason 45 CFR 303.11(b)(5)",
    ),
    Far::new(
        "MSC",
        'P',
        "GSC07",
        "Case closure reason 45 CFR 303.11(b)(6)",
    ),
    Far::new(
        "MSC",
        'P',
        "GSC08",
        "Case closure reason 45 CFR 303.11(b)(7)",
    ),
    Far::new(
        "MSC",
        'P',
        "GSC09",
        "Case closure reason 45 CFR 303.11(b)(8)",
    ),
    Far::new(
        "MSC",
        'P',
        "GSC10",
        "Case closure reason 45 CFR 303.11(b)(9)",
    ),
    Far::new(
        "MSC",
        'P',
        "GSC11",
        "Case closure reason 45 CFR 303.11(b)(10)",
    ),
    Far::new(
        "MSC",
        'P',
        "GSC12",
        "Case closure reason 45 CFR 303.11(b)(11)",
    ),
    Far::new(
        "MSC",
        'P',
        "GSC13",
        "Case closure reason 45 CFR 303.11(b)(12)",
    ),
    Far::new(
        "MSC",
        'P',
        "GSC14",
        "Notice of intent to close case 45 CFR 303.11(c)",
    ),
    Far::new(
        "MSC",
        'P',
        "GSC15",
        "Case closure reason 45 CFR 303.11(b)(14)",
    ),
    Far::new(
        "MSC",
        'P',
        "GSC16",
        "Case closure reason 45 CFR 303.7(d)(10)",
    ),
    Far::new(
        "MSC",
        'P',
        "GSC17",
        "Case closure reason 45 CFR 303.7(c)(12)",
    ),
    Far::new(
        "MSC",
        'P',
        "GSC18",
        "Case closure reason 45 CFR 303.7(d)(9)",
    ),
    Far::new(
        "MSC",
        'P',
        "GSC4A",
        "Case closure reason 45 CFR 303.11(b)(3)(i)",
    ),
    Far::new(
        "MSC",
        'P',
        "GSC4B",
        "Case closure reason 45 CFR 303.11(b)(3)(ii)",
    ),
    Far::new(
        "MSC",
        'P',
        "GSC4C",
        "Case closure reason 45 CFR 303.11(b)(3)(iii)",
    ),
    Far::new(
        "MSC",
        'P',
        "GSC4D",
        "Case closure reason 45 CFR 303.11(b)(3)(iv) (biological father unknown and cannot be identified after diligent efforts)",
    ),
    Far::new(
        "MSC",
        'P',
        "GSC5B",
        "Case closure reason 45 CFR 303.11(b)(4)(ii)",
    ),
    Far::new("MSC", 'P', "GSCAS", "Change local case ID"),
    Far::new("MSC", 'P', "GSDEL", "Delete dependent participant"),
    Far::new("MSC", 'P', "GSFIP", "Change local FIPS code"),
    Far::new("MSC", 'P', "GSFWD", "Notice of case forwarding"),
    Far::new("MSC", 'P', "GSMAD", "Medical insurance addition"),
    Far::new("MSC", 'P', "GSMDE", "Medical insurance deletion"),
    Far::new(
        "MSC",
        'P',
        "GSPAD",
        "Change of payment mailing address/redirect payment",
    ),
    Far::new("MSC", 'P', "GSPAY", "Change of payee"),
    Far::new("MSC", 'P', "GSPUD", "Providing status update"),
    Far::new("MSC", 'P', "GSSTA", "Change of Case Status"),
    Far::new("MSC", 'P', "GSTAI", "Provide interest information"),
    Far::new("MSC", 'P', "GSTYP", "Change of case type"),
    Far::new("MSC", 'P', "GSUPD", "Unsolicited Information"),
    Far::new("MSC", 'P', "GSWKR", "Change of caseworker or office"),
    Far::new("MSC", 'P', "LICAD", "Address found but not confirmed"),
    Far::new("MSC", 'P', "LICEM", "NCP Employer Found But Not Confirmed"),
    Far::new("MSC", 'P', "LSADR", "NCP address located and confirmed"),
    Far::new("MSC", 'P', "LSEMP", "NCP employer found and confirmed"),
    Far::new("MSC", 'P', "LSOTH", "Other Information Found"),
    Far::new(
        "MSC",
        'P',
        "LSOUT",
        "NCP out of state address located and confirmed",
    ),
    Far::new("MSC", 'P', "LUAPD", "NCP found deceased"),
    Far::new(
        "MSC",
        'P',
        "REJCT",
        "Case ID invalid (no match for the Other-Case-ID received)",
    ),
    Far::new("MSC", 'U', "GRAFI", "Request Completion of Interrogatories"),
    Far::new(
        "MSC",
        'U',
        "GRAGT",
        "Request Assistance with Genetic Testing",
    ),
    Far::new(
        "MSC",
        'U',
        "GRFIN",
        "Request Financial Data/Proof of Respondent's Income",
    ),
    Far::new(
        "MSC",
        'U',
        "GRGAP",
        "Request Assistance with Service of Process",
    ),
    Far::new("MSC", 'U', "GRPOC", "Request Copies of Documentation"),
    Far::new(
        "MSC",
        'U',
        "GRTHD",
        "Request Assistance with Teleconference for Hearing or Deposition",
    ),
    Far::new("MSC", 'U', "GRUPD", "Request Current Status"),
    Far::new("COL", 'P', "CISUB", "Submission for federal tax offset"),
    Far::new(
        "COL",
        'P',
        "CITAX",
        "Tax offset disbursed or negative adjustment confirmed",
    ),
];

/// The functional matrix (§1.7), generated from the spec's table.
static MATRIX: &[MatrixRow] = &[
    MatrixRow::new(
        "LO1",
        'R',
        "",
        "Quick Locate Request",
        "Initiating",
        [One, One, Zero, Zero, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "LO1",
        'P',
        "LICAD",
        "Quick Locate Response, Address Located But Not",
        "Responding",
        [One, One, One, Zero, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "LO1",
        'P',
        "LICEM",
        "Quick Locate Response, Employer Found But Not",
        "Responding",
        [One, One, One, Zero, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "LO1",
        'P',
        "LSADR",
        "Quick Locate Response, Address Located And",
        "Responding",
        [One, One, One, Zero, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "LO1",
        'P',
        "LSALL",
        "Quick Locate Response, Both An Address And",
        "Responding",
        [One, One, One, Zero, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "LO1",
        'P',
        "LSEMP",
        "Quick Locate Response, Employer Located And",
        "Responding",
        [One, One, One, Zero, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "LO1",
        'P',
        "LSOTH",
        "Quick Locate Response, Other Information Found",
        "Responding",
        [One, One, One, Zero, Zero, Zero, Fill],
    ),
    MatrixRow::new(
        "LO1",
        'P',
        "LUALL",
        "Quick Locate Response, No Information Found",
        "Responding",
        [One, One, Zero, Zero, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "LO1",
        'P',
        "LUAPD",
        "Quick Locate Response, NCP Found Deceased",
        "Responding",
        [One, One, Zero, Zero, Zero, Zero, Fill],
    ),
    MatrixRow::new(
        "CSI",
        'R',
        "FRINF",
        "Case Information Request, All Available",
        "any",
        [Fill, Zero, Zero, Zero, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "CSI",
        'R',
        "FRNNF",
        "Case Information Request, All Available Non IV-D",
        "Any",
        [Fill, Zero, Zero, Zero, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "CSI",
        'P',
        "FSINF",
        "Case Information Provision Of Information, All",
        "Responding",
        [One, Fill, Fill, Fill, Fill, Zero, Zero],
    ),
    MatrixRow::new(
        "CSI",
        'P',
        "FUINF",
        "Case Information Provision Of Information,",
        "Responding",
        [Zero, Zero, Zero, Zero, Unknown, Zero, Zero],
    ),
    MatrixRow::new(
        "COL",
        'P',
        "CITAX",
        "Collection Provision Of Information – Tax Offset",
        "Initiating",
        [One, One, Fill, One, Fill, One, Zero],
    ),
    MatrixRow::new(
        "COL",
        'P',
        "CISUB",
        "Collection Provision Of Information – Submission",
        "Initiating",
        [One, One, Zero, Zero, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "PAT",
        'R',
        "",
        "Paternity Establishment Request",
        "Initiating",
        [One, One, One, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "PAT",
        'A',
        "AADIN",
        "Paternity Acknowledgment, Additional",
        "Responding",
        [One, One, Zero, One, Zero, Zero, One],
    ),
    MatrixRow::new(
        "PAT",
        'A',
        "ANOAD",
        "Paternity Acknowledgment, No Further",
        "Responding",
        [One, One, Zero, One, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "PAT",
        'P',
        "PIBTS",
        "Paternity Establishment Provision Of",
        "Responding",
        [One, One, Zero, Fill, Zero, Zero, Fill],
    ),
    MatrixRow::new(
        "PAT",
        'P',
        "PICHS",
        "Paternity Establishment Provision Of",
        "Responding",
        [One, One, Zero, Fill, Zero, Zero, Fill],
    ),
    MatrixRow::new(
        "PAT",
        'P',
        "PIPNS",
        "Paternity Establishment Provision Of",
        "Responding",
        [One, One, Zero, Fill, Zero, Zero, Fill],
    ),
    MatrixRow::new(
        "PAT",
        'P',
        "PSESO",
        "Paternity Establishment Provision Of",
        "Responding",
        [One, One, Zero, Fill, One, Zero, Zero],
    ),
    MatrixRow::new(
        "PAT",
        'P',
        "PUEST",
        "Paternity Establishment Provision Of",
        "Responding",
        [One, One, Zero, Fill, Zero, Zero, Fill],
    ),
    MatrixRow::new(
        "EST",
        'A',
        "AADIN",
        "Establishment Acknowledgment, Additional",
        "Responding",
        [One, One, Zero, One, Zero, Zero, One],
    ),
    MatrixRow::new(
        "EST",
        'A',
        "ANOAD",
        "Establishment Acknowledgment, No Further",
        "Responding",
        [One, One, Zero, One, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "EST",
        'P',
        "GSCOE",
        "Establishment Provision Of Information, New",
        "Responding",
        [One, One, Zero, Fill, One, Zero, Zero],
    ),
    MatrixRow::new(
        "EST",
        'P',
        "SICHS",
        "Establishment Provision Of Information, Support",
        "Responding",
        [One, One, Zero, Fill, Zero, Zero, Fill],
    ),
    MatrixRow::new(
        "EST",
        'P',
        "SSADJ",
        "Establishment Provision Of Information, Review",
        "Responding",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "EST",
        'P',
        "SSEST",
        "Establishment Provision Of Information, Support",
        "Responding",
        [One, One, Zero, Fill, One, Zero, Zero],
    ),
    MatrixRow::new(
        "EST",
        'P',
        "SSMOD",
        "Establishment Provision Of Information,",
        "Responding",
        [One, One, Zero, Fill, One, Zero, Zero],
    ),
    MatrixRow::new(
        "EST",
        'P',
        "SUADJ",
        "Establishment Provision Of Information, Review",
        "Responding",
        [One, One, Zero, Fill, Zero, Zero, Fill],
    ),
    MatrixRow::new(
        "EST",
        'P',
        "SUEST",
        "Establishment Provision Of Information, Support",
        "Responding",
        [One, One, Zero, Fill, Zero, Zero, Fill],
    ),
    MatrixRow::new(
        "EST",
        'P',
        "SUMOD",
        "Establishment Provision Of Information,",
        "Responding",
        [One, One, Zero, One, One, Zero, Fill],
    ),
    MatrixRow::new(
        "EST",
        'R',
        "SRADJ",
        "Establishment Request For Review And",
        "Initiating",
        [One, One, One, Fill, One, Zero, Zero],
    ),
    MatrixRow::new(
        "EST",
        'R',
        "SRMOD",
        "Establishment Request For Support Order",
        "Initiating",
        [One, One, One, Fill, One, Zero, Zero],
    ),
    MatrixRow::new(
        "EST",
        'R',
        "SROMC",
        "Establishment Request For Medical Support",
        "Initiating",
        [One, One, One, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "EST",
        'R',
        "SROPP",
        "Establishment Request For Retroactive Child",
        "Initiating",
        [One, One, One, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "EST",
        'R',
        "SRORD",
        "Establishment Request For Establishment Of",
        "Initiating",
        [One, One, One, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "ENF",
        'A',
        "AADIN",
        "Enforcement Acknowledgment, Additional",
        "Responding",
        [One, One, Zero, One, Zero, Zero, One],
    ),
    MatrixRow::new(
        "ENF",
        'A',
        "ANOAD",
        "Enforcement Acknowledgment, No Further",
        "Responding",
        [One, One, Zero, One, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "ENF",
        'P',
        "EILMV",
        "Enforcement Provision Of Information, Lien",
        "Responding",
        [One, One, Zero, One, Zero, Zero, Fill],
    ),
    MatrixRow::new(
        "ENF",
        'P',
        "EILRE",
        "Enforcement Provision Of Information, Lien",
        "Responding",
        [One, One, Zero, One, Zero, Zero, Fill],
    ),
    MatrixRow::new(
        "ENF",
        'P',
        "EIWAR",
        "Enforcement Provision Of Information, Arrest",
        "Responding",
        [One, One, Zero, One, Zero, Zero, Fill],
    ),
    MatrixRow::new(
        "ENF",
        'P',
        "ESREG",
        "Enforcement Provision Of Information, Order",
        "Responding",
        [One, One, Zero, One, One, Zero, Zero],
    ),
    MatrixRow::new(
        "ENF",
        'P',
        "ESTXR",
        "Enforcement Provision Of Information,",
        "Initiating or Responding",
        [One, One, Zero, One, Zero, Zero, Fill],
    ),
    MatrixRow::new(
        "ENF",
        'P',
        "EUTXR",
        "Enforcement Provision Of Information,",
        "Initiating or Responding",
        [One, One, Zero, One, Zero, Zero, Fill],
    ),
    MatrixRow::new(
        "ENF",
        'P',
        "GSCOE",
        "Enforcement Provision Of Information, New",
        "Responding",
        [One, One, Zero, One, One, Zero, Zero],
    ),
    MatrixRow::new(
        "ENF",
        'P',
        "SICPS",
        "Enforcement Provision Of Information, Contempt",
        "Responding",
        [One, One, Zero, One, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "ENF",
        'R',
        "ERARR",
        "Enforcement Request For Collection Of Arrears",
        "Initiating",
        [One, One, One, Fill, One, Zero, Zero],
    ),
    MatrixRow::new(
        "ENF",
        'R',
        "ERMEO",
        "Enforcement Request, Registration Of Foreign",
        "Initiating",
        [One, One, One, Fill, One, Zero, Zero],
    ),
    MatrixRow::new(
        "ENF",
        'R',
        "ERREG",
        "Enforcement Request, Registration Of Foreign",
        "Initiating",
        [One, One, One, Fill, One, Zero, Fill],
    ),
    MatrixRow::new(
        "ENF",
        'R',
        "ERREO",
        "Enforcement Request, Registration Of Foreign",
        "Initiating",
        [One, One, One, Fill, One, Zero, Zero],
    ),
    MatrixRow::new(
        "ENF",
        'R',
        "ERRES",
        "Enforcement Request, Registration Of Foreign",
        "Initiating",
        [One, One, One, Fill, One, Zero, Zero],
    ),
    MatrixRow::new(
        "ENF",
        'R',
        "ERTXR",
        "Enforcement Request, Administrative Review Of",
        "Initiating or Responding Jurisdiction",
        [One, One, One, Fill, One, Zero, Fill],
    ),
    MatrixRow::new(
        "ENF",
        'R',
        "ERALL",
        "Enforcement Request, All Remedies",
        "Initiating",
        [One, One, One, Fill, One, Zero, Zero],
    ),
    MatrixRow::new(
        "ENF",
        'R',
        "ERMEE",
        "Enforcement Request, Registration Of Foreign Support Order F",
        "Initiating",
        [One, One, One, Fill, One, Zero, Zero],
    ),
    MatrixRow::new(
        "ENF",
        'R',
        "ERMEM",
        "Enforcement Request, Registration Of Foreign",
        "Initiating",
        [One, One, One, Fill, One, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GIHER",
        "Managing State Cases, Provision/Response, Notice",
        "Responding",
        [One, One, Zero, One, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSADD",
        "Managing State Cases, Provision/Response, Add",
        "Initiating",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSC02",
        "Managing State Cases, Provision/Response, Case",
        "Initiating",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSC03",
        "Managing State Cases, Provision/Response, Case",
        "Initiating",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSC05",
        "Managing State Cases, Provision/Response, Case",
        "Initiating",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSC5B",
        "Managing State Cases, Provision/Response, Case",
        "Initiating",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSC06",
        "Managing State Cases, Provision/Response, Case",
        "Initiating",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSC07",
        "Managing State Cases, Provision/Response, Case",
        "Initiating",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSC08",
        "Managing State Cases, Provision/Response, Case",
        "Initiating",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSC09",
        "Managing State Cases, Provision/Response, Case",
        "Initiating",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSC10",
        "Managing State Cases, Provision/Response, Case",
        "Initiating",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSC11",
        "Managing State Cases, Provision/Response, Case",
        "Initiating",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSC12",
        "Managing State Cases, Provision/Response, Case",
        "Initiating",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSC4A",
        "Managing State Cases, Provision/Response, Case",
        "Initiating",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSC4B",
        "Managing State Cases, Provision/Response, Case",
        "Initiating",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSC4C",
        "Managing State Cases, Provision/Response, Case",
        "Initiating",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSC13",
        "Managing State Cases, Provision/Response, Case",
        "Responding",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSC14",
        "Managing State Cases, Provision/Response, Notice",
        "Responding",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSC15",
        "Managing State Cases, Provision/Response, Case",
        "Initiating",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSC16",
        "Managing State Cases, Provision/Response, Case",
        "Responding",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSC17",
        "Managing State Cases, Provision/Response, Case",
        "Initiating",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSC18",
        "Managing State Cases, Provision/Response, Case",
        "Responding",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSCAS",
        "Managing State Cases, Provision/Response,",
        "Initiating or Responding",
        [One, One, Zero, Fill, Zero, Zero, One],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSDEL",
        "Managing State Cases, Provision/Response,",
        "Initiating or Responding",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSFIP",
        "Managing State Cases, Provision/Response,",
        "Responding",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSFWD",
        "Managing State Cases, Provision/Response,",
        "Responding",
        [One, One, Zero, Fill, One, Zero, Fill],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSMAD",
        "Managing State Cases, Provision/Response,",
        "Initiating or Responding",
        [One, One, One, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSMDE",
        "Managing State Cases, Provision/ Response,",
        "Initiating or Responding",
        [One, One, One, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSPAD",
        "Managing State Cases, Provision/Response,",
        "Initiating",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSPAY",
        "Managing State Cases, Provision/Response,",
        "Initiating",
        [One, One, Zero, Fill, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSPUD",
        "Managing State Cases, Provision/Response,",
        "Initiating or Responding",
        [One, One, Zero, One, Zero, Zero, One],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSTAI",
        "Managing State Cases, Response/Provision,",
        "Initiating or Responding",
        [One, One, Zero, Fill, Fill, Zero, One],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSTYP",
        "Managing State Cases, Provision/Response,",
        "Initiating",
        [One, One, Zero, One, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "GSWKR",
        "Managing State Cases, Provision/Response,",
        "Initiating or Responding",
        [One, One, Zero, One, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "LICAD",
        "Managing State Cases, Provision/Response,",
        "Initiating or Responding",
        [One, One, One, One, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "LSADR",
        "Managing State Cases, Provision/Response, NCP",
        "Initiating or Responding",
        [One, One, One, One, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "LSEMP",
        "Managing State Cases, Provision/Response, NCP",
        "Initiating or Responding",
        [One, One, One, One, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "LSOUT",
        "Managing State Cases, Provision/Response, NCP",
        "Initiating or Responding",
        [One, One, One, One, Zero, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "LUAPD",
        "Managing State Cases, Provision/Response, NCP",
        "Initiating or Responding",
        [One, One, Zero, One, Zero, Zero, Fill],
    ),
    MatrixRow::new(
        "MSC",
        'P',
        "REJCT",
        "Managing State Cases, Provision/Presponse,",
        "Initiating or Responding",
        [Zero, Zero, Zero, Zero, Zero, Zero, One],
    ),
    MatrixRow::new(
        "MSC",
        'R',
        "GRINT",
        "Managing State Cases, Request, Request For",
        "Responding",
        [One, One, Zero, Fill, Fill, Zero, Zero],
    ),
    MatrixRow::new(
        "MSC",
        'R',
        "GRPAY",
        "Managing State Cases, Request, Request To",
        "Responding",
        [One, One, One, Fill, One, Zero, One],
    ),
    MatrixRow::new(
        "MSC",
        'R',
        "GRPOC",
        "Managing State Cases, Request, Copies Of",
        "Initiating or Responding",
        [One, Fill, Zero, One, Zero, Zero, Fill],
    ),
    MatrixRow::new(
        "MSC",
        'R',
        "GRUPD",
        "Managing State Cases, Request, Request For",
        "Initiating or Responding",
        [One, Fill, Zero, Fill, Zero, Zero, Zero],
    ),
];

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
