//! Writing the index: documents from listings, the single writer, batches and rebuilds
//! committed with the outbox cursor they reach.

use super::*;

impl SearchIndex {
    fn doc(&self, d: &ListingDoc) -> TantivyDocument {
        let f = &self.fields;
        // Sized for the texts it holds (the body twice: words and bigrams), so it never grows.
        let texts: usize = d.keywords.iter().chain(&d.facets).map(String::len).sum();
        let mut doc =
            TantivyDocument::with_capacity(d.title.len() + 2 * d.body.len() + texts + 128);
        doc.add_text(f.key, d.kind.key(d.id));
        doc.add_text(f.kind, d.kind.as_str());
        doc.add_u64(f.id, order_key(d.kind, d.id));
        doc.add_u64(f.owner, d.owner_id as u64);
        doc.add_text(f.title, &d.title);
        doc.add_text(f.body, &d.body);
        doc.add_text(f.body_bigram, &d.body);
        doc.add_text(f.visibility, d.visibility);
        doc.add_text(f.live, if d.live { "1" } else { "0" });
        // Only a live listing's expiry matters, and a search excludes the few whose expiry
        // has passed since indexing (see `listed_filters`).
        if let Some(expires) = d.expires_at.filter(|_| d.live) {
            doc.add_i64(f.expires, expires);
        }
        for k in &d.keywords {
            doc.add_text(f.keywords, k);
        }
        for path in &d.facets {
            if let Ok(facet) = tantivy::schema::Facet::from_text(path) {
                doc.add_facet(f.facets, facet);
            }
        }
        if let Some(trl) = d.trl {
            doc.add_u64(f.trl, u64::from(trl));
        }
        doc.add_i64(f.updated, d.updated_at);
        let p = &d.profile;
        for division in p.division_numbers() {
            doc.add_u64(f.divisions, division);
        }
        if let Some(code) = p.discipline.as_deref().and_then(|c| c.parse().ok()) {
            doc.add_u64(f.discipline, code);
        }
        if let Some(code) = p.region.as_deref().and_then(|c| c.parse().ok()) {
            doc.add_u64(f.region, code);
        }
        doc.add_u64(f.modes, p.mode_bits());
        doc
    }

    /// Runs `f` with the single writer, taking it on first use.
    fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut IndexWriter) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            *guard =
                Some(self.index.writer(self.writer_memory).context(
                    "taking the index writer (is another qianxian indexing this folder?)",
                )?);
        }
        let Some(writer) = guard.as_mut() else {
            unreachable!("writer set above")
        };
        f(writer)
    }

    fn stage(&self, writer: &mut IndexWriter, ops: &[IndexOp]) -> anyhow::Result<()> {
        for op in ops {
            match op {
                IndexOp::Upsert(d) => {
                    writer.delete_term(Term::from_field_text(self.fields.key, &d.kind.key(d.id)));
                    writer.add_document(self.doc(d))?;
                }
                IndexOp::Delete(kind, id) => {
                    writer.delete_term(Term::from_field_text(self.fields.key, &kind.key(*id)));
                }
            }
        }
        Ok(())
    }

    /// Applies a batch of changes and commits once, recording `outbox_cursor`. Readers see the
    /// whole batch or none of it.
    pub fn apply(&self, ops: &[IndexOp], outbox_cursor: i64) -> anyhow::Result<()> {
        self.stage_batch(ops)?;
        self.commit(outbox_cursor)
    }

    /// Hands a batch of changes to the writer without committing: each upsert replaces the
    /// listing's earlier document. Until [`Self::commit`], readers see none of it, and if the
    /// process dies first, none of it survives. (A rebuild empties the index and adds through
    /// [`Self::stage_rebuild`].)
    pub fn stage_batch(&self, ops: &[IndexOp]) -> anyhow::Result<()> {
        self.with_writer(|writer| self.stage(writer, ops))
    }

    /// Hands part of a rebuild to the writer without committing: `docs` are added as new
    /// listings, each at most once per rebuild, to an index that the rebuild's `first` call
    /// empties. Nothing is replaced, so unlike [`Self::stage_batch`] no listing carries a
    /// delete term for every new segment to look up. Until [`Self::commit`], readers see the
    /// old index, and if the process dies first, none of it survives.
    pub fn stage_rebuild(&self, docs: &[ListingDoc], first: bool) -> anyhow::Result<()> {
        self.with_writer(|writer| {
            if first {
                writer.delete_all_documents()?;
            }
            for d in docs {
                writer.add_document(self.doc(d))?;
            }
            Ok(())
        })
    }

    /// Commits what was staged, recording `outbox_cursor` and the configuration fingerprint,
    /// and reloads the readers.
    pub fn commit(&self, outbox_cursor: i64) -> anyhow::Result<()> {
        self.with_writer(|writer| {
            let state = CommitState {
                fingerprint: self.fingerprint.clone(),
                outbox_cursor,
                database: self.database(),
            };
            let mut commit = writer.prepare_commit()?;
            commit.set_payload(&serde_json::to_string(&state)?);
            commit.commit()?;
            Ok(())
        })?;
        self.reader.reload()?;
        Ok(())
    }

    /// Takes the writer now, so a tool fails fast when a running service holds it.
    pub fn lock_writer(&self) -> anyhow::Result<()> {
        self.with_writer(|_| Ok(()))
    }

    /// Releases the writer after its merges finish (a bulk load is done, or a rebuilt index
    /// is about to be swapped in). The next write takes a new writer.
    pub fn finish_writes(&self) -> anyhow::Result<()> {
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(writer) = writer {
            writer
                .wait_merging_threads()
                .context("waiting for index merges")?;
        }
        self.reader.reload()?;
        Ok(())
    }

    /// Documents visible to readers.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Documents in each segment readers search (each segment costs a little per query).
    pub fn segment_sizes(&self) -> Vec<u32> {
        self.reader
            .searcher()
            .segment_readers()
            .iter()
            .map(|s| s.num_docs())
            .collect()
    }
}
