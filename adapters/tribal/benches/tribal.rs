//! Tribal IV-D XML exchange: `read_message` (the receiving path: bounded pull parser, element
//! tree, every element checked, the canonical case built) and `write_message` (redaction,
//! serialization, then the writer's own re-parse).
//!
//! One message is one document, so a record here is a document. The input is the
//! crate's three committed synthetic samples (a CSI request with a case, a locate
//! response with a protected participant, an acknowledgment), each iteration handling
//! all three. Throughput is per document and per byte.
//!
//! Run: `cargo bench -p ivd-tribal --bench tribal`.

use std::hint::black_box;

use ivd_bench_support as thread_cpu;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ivd_tribal::{TribalMessage, read_message, write_message};
use thread_cpu::ThreadCpuTime;

const SAMPLES: [&[u8]; 3] = [
    include_bytes!("../samples/csi-request.xml"),
    include_bytes!("../samples/lo1-response-protected.xml"),
    include_bytes!("../samples/csi-acknowledgment.xml"),
];

fn bench_documents(c: &mut Criterion<ThreadCpuTime>) {
    let messages: Vec<TribalMessage> = SAMPLES
        .iter()
        .map(|doc| read_message(doc).expect("the samples are valid"))
        .collect();
    let bytes: usize = SAMPLES.iter().map(|doc| doc.len()).sum();

    let mut group = c.benchmark_group("tribal/documents");
    group.throughput(Throughput::ElementsAndBytes {
        elements: SAMPLES.len() as u64,
        bytes: bytes as u64,
    });
    group.bench_function("parse+validate", |b| {
        b.iter(|| {
            for doc in SAMPLES {
                black_box(read_message(black_box(doc)).is_ok());
            }
        })
    });
    group.bench_function("write", |b| {
        b.iter(|| {
            for message in &messages {
                black_box(write_message(message).expect("the samples are writable"));
            }
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = thread_cpu::config();
    targets = bench_documents
}
criterion_main!(benches);
