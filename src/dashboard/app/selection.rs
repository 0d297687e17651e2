//! A selected row that survives refreshes.

/// A selected row, remembered by its key (service name or check label) so that it stays on the
/// same row when a refresh adds or removes rows; the index is the fallback when the key is gone.
#[derive(Debug, Default)]
pub(super) struct Selection {
    key: Option<String>,
    index: usize,
}

impl Selection {
    pub(super) fn follow(&mut self, keys: &[String]) {
        let Some(last) = keys.len().checked_sub(1) else {
            return;
        };
        let found = self
            .key
            .as_deref()
            .and_then(|k| keys.iter().position(|x| x == k));
        self.index = found.unwrap_or(self.index.min(last));
        self.key = keys.get(self.index).cloned();
    }

    pub(super) fn step(&mut self, keys: &[String], down: bool) {
        let Some(last) = keys.len().checked_sub(1) else {
            return;
        };
        self.index = if down {
            (self.index + 1).min(last)
        } else {
            self.index.saturating_sub(1)
        };
        self.key = keys.get(self.index).cloned();
    }

    pub(super) fn get(&self, len: usize) -> Option<usize> {
        (len > 0).then(|| self.index.min(len - 1))
    }
}
