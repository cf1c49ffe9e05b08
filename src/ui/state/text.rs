//! The state of the explorer's text searches (`text:"..."` in the filter): what was found so
//! far, how far each text was searched, and the search running on its own thread.

use crate::ingest::search::{Control, Corpus, Outcome};
use crate::model::{TextHit, TextHits, TraceIdx};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, TryRecvError};

/// What a search thread sends back.
#[derive(Debug)]
pub enum SearchEvent {
    /// Traces found in one run of records.
    Hits(Vec<(TraceIdx, TextHit)>),
    /// The search ended: how, and how far each blob was searched.
    Done(Outcome, HashMap<u32, u64>),
}

/// A search under way on its own thread.
#[derive(Debug)]
pub struct Running {
    pub text: String,
    /// Stops it, and counts the bytes done.
    pub control: Arc<Control>,
    /// Bytes it reads.
    pub total: u64,
    pub events: Receiver<SearchEvent>,
    /// It searches every record, not only those added since the last search of its text.
    pub whole: bool,
}

impl Running {
    /// How much is done, 0 to 1.
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn progress(&self) -> f64 {
        if self.total == 0 {
            return 1.0;
        }
        (self.control.done.load(Ordering::Relaxed) as f64 / self.total as f64).min(1.0)
    }
}

/// The text searches of the filter.
#[derive(Debug, Default)]
pub struct TextSearch {
    /// What was found, per text.
    pub hits: TextHits,
    /// Per text, how far each blob was searched: a later search reads only what came after.
    pub ends: HashMap<String, HashMap<u32, u64>>,
    /// Per text, the store generation and the app's clock when its last search started.
    pub searched_at: HashMap<String, (u64, crate::model::Nanos)>,
    pub running: Option<Running>,
    /// Bumped whenever `hits` changes: the list is rebuilt when it moves.
    pub version: u64,
    /// Runs of records a search could not read back since the texts were last reset.
    pub unreadable: u64,
    /// Why the last search stopped before its end without being asked to (for the status
    /// line).
    pub failed: Option<String>,
    /// The snapshot of every record a whole search reads, and the store generation it was
    /// taken at: the next text typed over the same index searches it again.
    pub corpus: Option<(u64, Arc<Corpus>)>,
}

impl TextSearch {
    /// Stop the running search (its thread ends at its next record).
    pub fn cancel(&mut self) {
        if let Some(r) = self.running.take() {
            r.control.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Forget everything (the store was compacted: trace indexes moved).
    pub fn reset(&mut self) {
        self.cancel();
        self.corpus = None;
        self.hits.clear();
        self.ends.clear();
        self.searched_at.clear();
        self.version += 1;
    }

    /// Keep only what the texts `wanted` need; a running search of another text stops.
    pub fn keep(&mut self, wanted: &[&str]) {
        if self
            .running
            .as_ref()
            .is_some_and(|r| !wanted.contains(&r.text.as_str()))
        {
            self.cancel();
        }
        let before = self.hits.texts().count();
        self.hits.retain(wanted);
        self.ends.retain(|t, _| wanted.contains(&t.as_str()));
        self.searched_at.retain(|t, _| wanted.contains(&t.as_str()));
        if self.hits.texts().count() != before {
            self.version += 1;
        }
    }

    /// Block until the running search sends something (or ends), and take it.
    pub fn wait(&mut self) {
        let Some(r) = &self.running else { return };
        let ev = r.events.recv().ok();
        self.take(ev);
    }

    /// Take what the running search sent: `true` when something changed.
    pub fn poll(&mut self) -> bool {
        let mut changed = false;
        while let Some(r) = &self.running {
            let ev = match r.events.try_recv() {
                Ok(ev) => Some(ev),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => None,
            };
            self.take(ev);
            changed = true;
        }
        changed
    }

    /// Take one thing the running search sent; `None`: its thread ended without a word (it
    /// failed).
    fn take(&mut self, ev: Option<SearchEvent>) {
        let Some(r) = &self.running else { return };
        match ev {
            Some(SearchEvent::Hits(hits)) => {
                let found = self.hits.entry(&r.text);
                for (t, h) in hits {
                    found.add(t, h);
                }
            }
            Some(SearchEvent::Done(outcome, ends)) => {
                let r = self.running.take().expect("a search is running");
                self.unreadable += outcome.unreadable;
                if !outcome.cancelled {
                    self.hits.entry(&r.text).complete = true;
                    self.ends.insert(r.text, ends);
                }
            }
            None => {
                self.failed = Some(format!("the search for \"{}\" stopped", r.text));
                self.running = None;
            }
        }
        self.version += 1;
    }
}
