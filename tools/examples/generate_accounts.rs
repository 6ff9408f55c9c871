//! Writes a synthetic FIDM Method 1 all-accounts file (ASCII, back to back) for the
//! benchmark, with three SSNs planted at the start, the middle and the end.
//!
//! `cargo run --release --example generate_accounts -- N OUT [SEED]`

use std::io::BufWriter;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let records: u64 = args
        .next()
        .ok_or("usage: generate_accounts N OUT [SEED]")?
        .parse()?;
    let out = args.next().ok_or("usage: generate_accounts N OUT [SEED]")?;
    let seed: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(42);
    let planted: Vec<(u64, ivd_fidm::Ssn)> = PLANTED
        .iter()
        .zip([1, records.div_ceil(2), records])
        .map(|(ssn, at)| Ok((at, ivd_fidm::Ssn::parse(ssn)?)))
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    let file = BufWriter::with_capacity(1 << 20, std::fs::File::create(&out)?);
    ivd_fidm::generate::write_all_accounts(
        records,
        seed,
        &planted,
        ivd_fidm::Encoding::Ascii,
        file,
        |_| {},
    )?;
    Ok(())
}

/// The noncustodial parents `match_accounts` stores on cases with arrears.
const PLANTED: [&str; 3] = ["234567890", "345678901", "678901234"];
