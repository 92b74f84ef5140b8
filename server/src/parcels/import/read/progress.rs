//! Throttled progress reporting: the callback may do real work (update a job row, send
//! an event), so it hears about every percent, not every feature.

pub(crate) struct Progress<'a> {
    report: &'a mut dyn FnMut(usize, usize),
    total: usize,
    step: usize,
    next_report_at: usize,
}

impl<'a> Progress<'a> {
    /// Reports `(0, total)` at once so the caller learns the total early.
    pub(crate) fn start(report: &'a mut dyn FnMut(usize, usize), total: usize) -> Self {
        report(0, total);
        let step = (total / 100).max(1);
        Self {
            report,
            total,
            step,
            next_report_at: step,
        }
    }

    /// Records that `done` features are finished; reports every percent and at the end.
    pub(crate) fn advance_to(&mut self, done: usize) {
        if done >= self.next_report_at || done == self.total {
            (self.report)(done, self.total);
            self.next_report_at = done + self.step;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_start_each_percent_and_end() {
        let mut seen = Vec::new();
        let mut record = |done, total| seen.push((done, total));
        let mut progress = Progress::start(&mut record, 250);
        for done in 1..=250 {
            progress.advance_to(done);
        }
        assert_eq!(seen.first(), Some(&(0, 250)));
        assert_eq!(seen.last(), Some(&(250, 250)));
        assert_eq!(seen.len(), 1 + 125);
    }

    #[test]
    fn empty_input_reports_only_the_start() {
        let mut seen = Vec::new();
        let mut record = |done, total| seen.push((done, total));
        Progress::start(&mut record, 0);
        assert_eq!(seen, vec![(0, 0)]);
    }
}
