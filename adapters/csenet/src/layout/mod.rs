//! Every CSENet record layout, one file per block, declared once as `static` data and used
//! by both the parser and the writer. Positions are 1-based and relative to the start of
//! the block, exactly as IGD Appendix C prints them (spec §1.3, §1.4, §1.9).

mod case_data;
mod collection;
mod header;
mod information;
mod ncp_identification;
mod ncp_locate;
mod order;
mod participant;
mod server_error;

pub use case_data::{CASE_DATA, CaseData};
pub use collection::{COLLECTION, Collection};
pub use header::{INBOUND_HEADER, INDICATOR_POSITIONS, OUTBOUND_HEADER};
pub use information::{INFORMATION, Information};
pub use ncp_identification::{NCP_IDENTIFICATION, NcpIdentification};
pub use ncp_locate::{NCP_LOCATE, NcpLocate};
pub use order::{ORDER, Order};
pub use participant::{PARTICIPANT, Participant};
pub use server_error::SERVER_ERROR;

/// Every layout of the crate, for table checks.
pub static ALL: [&ivd_fixed::Layout; 10] = [
    &OUTBOUND_HEADER,
    &INBOUND_HEADER,
    &CASE_DATA,
    &NCP_IDENTIFICATION,
    &NCP_LOCATE,
    &PARTICIPANT,
    &ORDER,
    &COLLECTION,
    &INFORMATION,
    &SERVER_ERROR,
];

#[cfg(test)]
mod tests {
    use super::*;

    fn check(layout: &ivd_fixed::Layout, len: usize, fields: usize) {
        assert_eq!(layout.validate(), Ok(()), "{layout}");
        assert_eq!(layout.record_len, len, "{layout}");
        assert_eq!(layout.fields.len(), fields, "{layout}");
    }

    #[test]
    fn the_outbound_header_is_127_contiguous_bytes() {
        check(&OUTBOUND_HEADER, 127, 30);
    }
    #[test]
    fn the_inbound_header_is_121_contiguous_bytes() {
        check(&INBOUND_HEADER, 121, 31);
    }
    #[test]
    fn the_case_data_block_is_351_contiguous_bytes() {
        check(&CASE_DATA, 351, 31);
    }
    #[test]
    fn the_ncp_identification_block_is_181_contiguous_bytes() {
        check(&NCP_IDENTIFICATION, 181, 20);
    }
    #[test]
    fn the_ncp_locate_block_is_1421_contiguous_bytes() {
        check(&NCP_LOCATE, 1421, 110);
    }
    #[test]
    fn the_participant_block_is_341_contiguous_bytes() {
        check(&PARTICIPANT, 341, 33);
    }
    #[test]
    fn the_order_block_is_254_contiguous_bytes() {
        check(&ORDER, 254, 33);
    }
    #[test]
    fn the_collection_block_is_70_contiguous_bytes() {
        check(&COLLECTION, 70, 7);
    }
    #[test]
    fn the_information_block_is_416_contiguous_bytes() {
        check(&INFORMATION, 416, 7);
    }
    #[test]
    fn the_server_error_record_is_145_contiguous_bytes() {
        check(&SERVER_ERROR, 145, 25);
    }

    #[test]
    fn both_headers_put_the_block_indicators_at_90_to_96() {
        for layout in [&OUTBOUND_HEADER, &INBOUND_HEADER] {
            let starts: Vec<usize> = layout.fields[18..25].iter().map(|f| f.start).collect();
            assert_eq!(starts, INDICATOR_POSITIONS);
        }
    }

    #[test]
    fn the_longest_transactions_match_the_data_set_maxima() {
        // §1.2: 9 participants, orders and collections and one of everything else.
        let body = CASE_DATA.record_len
            + NCP_IDENTIFICATION.record_len
            + NCP_LOCATE.record_len
            + 9 * (PARTICIPANT.record_len + ORDER.record_len + COLLECTION.record_len)
            + INFORMATION.record_len;
        assert_eq!(OUTBOUND_HEADER.record_len + body, 8481);
        assert_eq!(INBOUND_HEADER.record_len + body, 8475);
        assert_eq!(ALL.len(), 10);
    }
}
