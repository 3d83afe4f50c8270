//! Trigger id -> one live slot of its ring. A hash table of bare slot numbers (4 bytes and a
//! control byte an entry, against 21 for a map that also stored the 16-byte id): it hashes and
//! compares through the slab, where each slot keeps its trigger's id.
//!
//! Invariant: an entry is updated or removed before its slot can be reused; a freed slot keeps
//! its id until then, so lookups that pass over it stay correct.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::slab::Slab;
use crate::spec::TriggerId;

#[derive(Debug, Default)]
pub(crate) struct IdIndex {
    table: HashTable<u32>,
    /// foldhash, seeded per process: ids are chosen by the server, not by users, and a fast
    /// hash matters on the arm and fire paths.
    hasher: DefaultHashBuilder,
}

impl IdIndex {
    pub(crate) fn get(&self, id: TriggerId, slab: &Slab) -> Option<u32> {
        let h = self.hasher.hash_one(id);
        self.table.find(h, |&at| slab[at].id == id).copied()
    }

    /// Adds an id that is not present (the caller checked).
    pub(crate) fn insert(&mut self, id: TriggerId, at: u32, slab: &Slab) {
        let hasher = &self.hasher;
        let h = hasher.hash_one(id);
        self.table
            .insert_unique(h, at, |&other| hasher.hash_one(slab[other].id));
    }

    /// Points a present id at another of its slots.
    pub(crate) fn set(&mut self, id: TriggerId, at: u32, slab: &Slab) {
        let h = self.hasher.hash_one(id);
        if let Some(v) = self.table.find_mut(h, |&other| slab[other].id == id) {
            *v = at;
        }
    }

    pub(crate) fn remove(&mut self, id: TriggerId, slab: &Slab) -> Option<u32> {
        let h = self.hasher.hash_one(id);
        match self.table.find_entry(h, |&other| slab[other].id == id) {
            Ok(entry) => Some(entry.remove().0),
            Err(_) => None,
        }
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = u32> + '_ {
        self.table.iter().copied()
    }
}
