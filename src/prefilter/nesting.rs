//! Brackets paired in code whose literals and comments are already blanked (`rsblock` for
//! Rust, `rbcode` for Ruby): which bracket closes which, and the innermost pair holding an
//! offset. What the block checks use to bound a loop's body.

/// Code with each bracket (`(`, `[`, `{`) paired with its partner.
#[derive(Debug)]
pub(super) struct Nesting {
    pub(super) code: Vec<u8>,
    /// `(open, close)`, sorted by the opening offset.
    pairs: Vec<(usize, usize)>,
    /// The same pairs as `(close, open)`, sorted by the closing offset.
    by_close: Vec<(usize, usize)>,
}

/// Whether every bracket of `code` pairs up (what `Nesting::new` needs), without recording
/// the pairs.
pub(super) fn balanced(code: &[u8]) -> bool {
    let mut stack: Vec<u8> = Vec::new();
    for &b in code {
        match b {
            b'(' => stack.push(b')'),
            b'[' => stack.push(b']'),
            b'{' => stack.push(b'}'),
            // The guard pops: a closing bracket must close the last one opened.
            b')' | b']' | b'}' if stack.pop() != Some(b) => return false,
            _ => {}
        }
    }
    stack.is_empty()
}

impl Nesting {
    /// Pair the brackets of `code`; `None` when a closing bracket has none open or one of
    /// another kind, or a bracket is still open at the end.
    pub(super) fn new(code: Vec<u8>) -> Option<Nesting> {
        let mut stack: Vec<(u8, usize)> = Vec::new();
        let mut by_close: Vec<(usize, usize)> = Vec::new();
        for (i, &b) in code.iter().enumerate() {
            match b {
                b'(' | b'[' | b'{' => stack.push((b, i)),
                b')' | b']' | b'}' => {
                    let (open, at) = stack.pop()?;
                    let want = match open {
                        b'(' => b')',
                        b'[' => b']',
                        _ => b'}',
                    };
                    if b != want {
                        return None;
                    }
                    // Recorded as they close: already in closing order.
                    by_close.push((i, at));
                }
                _ => {}
            }
        }
        if !stack.is_empty() {
            return None;
        }
        let mut pairs: Vec<(usize, usize)> = by_close.iter().map(|&(c, o)| (o, c)).collect();
        pairs.sort_unstable();
        Some(Nesting {
            code,
            pairs,
            by_close,
        })
    }

    /// The offset of the bracket closing the one that opens at `open`, if a bracket opens
    /// there.
    pub(super) fn close_of(&self, open: usize) -> Option<usize> {
        self.pairs
            .binary_search_by_key(&open, |&(o, _)| o)
            .ok()
            .map(|i| self.pairs[i].1)
    }

    /// The offset of the bracket opening the one that closes at `close`, if one closes there.
    pub(super) fn open_of(&self, close: usize) -> Option<usize> {
        self.by_close
            .binary_search_by_key(&close, |&(c, _)| c)
            .ok()
            .map(|i| self.by_close[i].1)
    }

    /// The offset of the bracket closing the innermost pair that holds `at`, or the end of the
    /// text at the top level.
    pub(super) fn enclosing_end(&self, at: usize) -> usize {
        let mut i = self.pairs.partition_point(|&(o, _)| o < at);
        // Pairs nest: going back from the last pair opened before `at`, the first that
        // closes after it is the innermost holding it. Bounded, to stay linear on hostile
        // input; past the bound, the end of the text (looser is sound).
        let mut steps = 0;
        while i > 0 && steps < 4096 {
            i -= 1;
            steps += 1;
            if self.pairs[i].1 > at {
                return self.pairs[i].1;
            }
        }
        self.code.len()
    }
}
