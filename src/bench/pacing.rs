//! How a paced load run counts latency.
//!
//! A paced client is due to send its requests at fixed times, one at a time
//! on its connection. Two things can make it send one late:
//!
//! - the server answered the one before after this one was due: the server
//!   held it back, and that wait is the server's (an open-loop count, free
//!   of coordinated omission: a stall shows in every request behind it);
//! - the client's own timer woke late (tokio's timer ticks by the
//!   millisecond, and a busy machine schedules the client late): that wait
//!   is the load generator's, not the server's.
//!
//! [`ExactTimer`] counts the first and not the second. It replays the
//! client's run as a client with an exact timer would have lived it: each
//! request is sent when it is due or when the answer before it arrives,
//! whichever is later, and takes as long to answer as the real one took
//! (answered minus sent). Its latency runs from when it was due to that
//! answer. How late the real timer was is kept apart
//! ([`Paced::timer_late`]), so a run can say how well it kept its pace.

use std::io::{self, Write};
use std::time::Duration;

/// When one request was due, sent and answered, counted from the start of
/// the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestTimes {
    /// Which client sent it (0-based).
    pub client: usize,
    /// When its schedule had it sent (paced runs only).
    pub due: Option<Duration>,
    /// When it was sent.
    pub sent: Duration,
    /// When its answer (verdict or error) arrived.
    pub answered: Duration,
    /// Its latency as the run counts it (see the module docs).
    pub latency: Duration,
    /// How late the client's timer sent it (paced runs; not counted in
    /// `latency`).
    pub timer_late: Duration,
    /// Whether it was answered without an error.
    pub ok: bool,
}

/// A paced request's latency and how late the client's timer sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paced {
    /// From when it was due to when an exact-timer client would have had
    /// its answer.
    pub latency: Duration,
    /// How long after it could have been sent (due, and the answer before
    /// it in) the real client sent it.
    pub timer_late: Duration,
}

/// One paced client's run, replayed with an exact timer (module docs).
/// Feed it the client's requests in the order it sent them.
#[derive(Debug, Default, Clone)]
pub struct ExactTimer {
    /// When the exact-timer client has its latest answer.
    free: Duration,
    /// When the real client had its latest answer.
    answered: Duration,
}

impl ExactTimer {
    /// Counts a request due at `due`, sent at `sent` and answered at
    /// `answered` (all from the start of the run).
    pub fn paced(&mut self, due: Duration, sent: Duration, answered: Duration) -> Paced {
        let service = answered.saturating_sub(sent);
        let timer_late = sent.saturating_sub(due.max(self.answered));
        let send = due.max(self.free);
        self.free = send + service;
        self.answered = answered;
        Paced {
            latency: self.free - due,
            timer_late,
        }
    }
}

/// Writes `requests` as CSV, one line each after a header: the client,
/// the times due (empty when not paced), sent and answered, the latency
/// counted and the timer's lateness, all in microseconds from the start of
/// the run, and whether it was answered without an error.
pub fn write_times(mut out: impl Write, requests: &[RequestTimes]) -> io::Result<()> {
    let us = |d: Duration| d.as_micros();
    writeln!(
        out,
        "client,due_us,sent_us,answered_us,latency_us,timer_late_us,ok"
    )?;
    for r in requests {
        let due = r.due.map(|d| us(d).to_string()).unwrap_or_default();
        writeln!(
            out,
            "{},{due},{},{},{},{},{}",
            r.client,
            us(r.sent),
            us(r.answered),
            us(r.latency),
            us(r.timer_late),
            r.ok
        )?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: f64) -> Duration {
        Duration::from_secs_f64(v / 1e3)
    }

    fn run(requests: &[(f64, f64, f64)]) -> Vec<(f64, f64)> {
        let mut timer = ExactTimer::default();
        requests
            .iter()
            .map(|&(due, sent, answered)| {
                let p = timer.paced(ms(due), ms(sent), ms(answered));
                (
                    (p.latency.as_secs_f64() * 1e3 * 1e3).round() / 1e3,
                    (p.timer_late.as_secs_f64() * 1e3 * 1e3).round() / 1e3,
                )
            })
            .collect()
    }

    #[test]
    fn times_are_written_one_line_a_request() {
        let r = RequestTimes {
            client: 3,
            due: Some(Duration::from_micros(1600)),
            sent: Duration::from_micros(3100),
            answered: Duration::from_micros(3500),
            latency: Duration::from_micros(400),
            timer_late: Duration::from_micros(1500),
            ok: true,
        };
        let unpaced = RequestTimes {
            due: None,
            ok: false,
            ..r
        };
        let mut out = Vec::new();
        write_times(&mut out, &[r, unpaced]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "client,due_us,sent_us,answered_us,latency_us,timer_late_us,ok\n\
             3,1600,3100,3500,400,1500,true\n\
             3,,3100,3500,400,1500,false\n"
        );
    }

    #[test]
    fn on_time_requests_count_their_answer_time() {
        assert_eq!(
            run(&[(0.0, 0.0, 0.4), (1.6, 1.6, 2.1)]),
            vec![(0.4, 0.0), (0.5, 0.0)]
        );
    }

    #[test]
    fn a_late_timer_does_not_count_but_is_reported() {
        // Sent 1.5 ms late with the client free: a 0.4 ms answer.
        assert_eq!(
            run(&[(0.0, 0.0, 0.4), (1.6, 3.1, 3.5)]),
            vec![(0.4, 0.0), (0.4, 1.5)]
        );
        // A late send whose answer comes after the next one is due does
        // not hold the next one back either: an exact client would have
        // had that answer at 2.4 ms.
        assert_eq!(
            run(&[(1.6, 3.1, 3.9), (3.2, 3.9, 4.3)]),
            vec![(0.8, 1.5), (0.4, 0.0)]
        );
    }

    #[test]
    fn a_slow_answer_holds_back_the_requests_behind_it() {
        // A 5 ms stall: the next two were due during it and count from
        // when they were due; the third is back on time.
        assert_eq!(
            run(&[
                (0.0, 0.0, 5.0),
                (1.6, 5.0, 5.4),
                (3.2, 5.4, 5.8),
                (4.8, 5.8, 6.2),
                (6.4, 6.4, 6.8)
            ]),
            vec![(5.0, 0.0), (3.8, 0.0), (2.6, 0.0), (1.4, 0.0), (0.4, 0.0)]
        );
    }

    #[test]
    fn a_stall_counts_in_full_even_after_a_late_timer() {
        // Sent 1 ms late, then a 4 ms answer: its latency is the answer
        // time (the timer's millisecond does not count), and the request
        // behind it, due during the stall, waits for it.
        assert_eq!(
            run(&[(0.0, 1.0, 5.0), (1.6, 5.0, 5.3)]),
            vec![(4.0, 1.0), (2.7, 0.0)]
        );
    }
}
