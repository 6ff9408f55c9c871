//! Delivery results recorded group-commit style.

use tokio::sync::{mpsc, oneshot};

use crate::outbox::store::{self, AttemptRecord, Decision, FenceError};
use crate::store::{Db, now_ms};

/// Most results one transaction of the [`Recorder`] records.
pub(super) const RECORD_BATCH: usize = 512;

/// Most answered deliveries of one dispatcher waiting for their results to be recorded.
pub(super) const MAX_UNRECORDED: usize = 2 * RECORD_BATCH;

/// Records delivery results for the delivery tasks of one dispatcher, group-commit style:
/// whatever results are waiting when the previous transaction has committed go into the
/// next one ([`store::record_many`]), each still fenced on its own lease. A task gets its
/// own answer (recorded, lease lost, or the database error) only after the commit, so
/// nothing is acknowledged (no metric, no circuit verdict) before it is durable; its
/// delivery slot is already free for the next message meanwhile.
#[derive(Clone, Debug)]
pub(super) struct Recorder {
    queue: mpsc::UnboundedSender<PendingResult>,
}

/// One result waiting for the recorder.
#[derive(Debug)]
pub(super) struct PendingResult {
    id: i64,
    attempt: i64,
    worker: String,
    started_at: i64,
    status: Option<u16>,
    detail: String,
    decision: Decision,
    answer: oneshot::Sender<Result<bool, String>>,
}

impl Recorder {
    pub(super) fn start(db: Db) -> (Recorder, tokio::task::JoinHandle<()>) {
        let (queue, mut waiting) = mpsc::unbounded_channel::<PendingResult>();
        let task = tokio::spawn(async move {
            while let Some(first) = waiting.recv().await {
                let mut batch = vec![first];
                while batch.len() < RECORD_BATCH {
                    match waiting.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let results: Vec<(AttemptRecord<'_>, Decision)> = batch
                    .iter()
                    .map(|p| {
                        (
                            AttemptRecord {
                                id: p.id,
                                attempt: p.attempt,
                                worker: &p.worker,
                                started_at: p.started_at,
                                status: p.status,
                                detail: &p.detail,
                            },
                            p.decision,
                        )
                    })
                    .collect();
                let outcome = store::record_many(&db, &results, now_ms()).await;
                drop(results);
                match outcome {
                    Ok(recorded) => {
                        for (pending, recorded) in batch.into_iter().zip(recorded) {
                            let _ = pending.answer.send(Ok(recorded));
                        }
                    }
                    Err(error) => {
                        // The whole transaction rolled back: every task retries on its own.
                        let text = error.to_string();
                        for pending in batch {
                            let _ = pending.answer.send(Err(text.clone()));
                        }
                    }
                }
            }
        });
        (Recorder { queue }, task)
    }

    /// Records one result (with whatever others are waiting) and answers once committed.
    pub(super) async fn record(
        &self,
        record: &AttemptRecord<'_>,
        decision: Decision,
    ) -> Result<(), FenceError> {
        let (answer, answered) = oneshot::channel();
        let pending = PendingResult {
            id: record.id,
            attempt: record.attempt,
            worker: record.worker.to_string(),
            started_at: record.started_at,
            status: record.status,
            detail: record.detail.to_string(),
            decision,
            answer,
        };
        let stopped = || {
            FenceError::Store(crate::store::StoreError::Invalid(
                "the outbox result recorder has stopped".to_string(),
            ))
        };
        self.queue.send(pending).map_err(|_| stopped())?;
        match answered.await.map_err(|_| stopped())? {
            Ok(true) => Ok(()),
            Ok(false) => Err(FenceError::LeaseLost {
                id: record.id,
                attempt: record.attempt,
            }),
            Err(text) => Err(FenceError::Store(crate::store::StoreError::Batch(text))),
        }
    }
}
