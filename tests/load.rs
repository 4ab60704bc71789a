//! The load generator (`syndetect bench-grpc`) against a real server on an
//! ephemeral port: every article answered, paced requests sent on their
//! schedule, and the times it reports consistent with one another.

mod common;

use std::time::Duration;

use common::start;
use syndetect::bench::corpus;
use syndetect::bench::grpc::{run, Mode};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paced_unary_keeps_its_schedule_and_counts_from_it() {
    let mut server = start().await;
    let articles = corpus::generate(60, 7, 0.2);
    let rate = 300.0;
    let clients = 3;
    let addr = server.addr.to_string();
    let r = run(&addr, &articles, Mode::Unary, clients, rate, "paced", true)
        .await
        .expect("the run completes");
    assert_eq!(r.articles, 60);
    assert_eq!(r.errors, 0);
    assert_eq!(r.requests.len(), 60);
    assert_eq!(server.documents().await, 60);
    // 60 requests at 300/s: the last is due at 59/300 s.
    assert!(r.elapsed >= Duration::from_millis(190), "{:?}", r.elapsed);
    let every = Duration::from_secs_f64(clients as f64 / rate);
    for c in 0..clients {
        let mine: Vec<_> = r.requests.iter().filter(|t| t.client == c).collect();
        assert_eq!(mine.len(), 20);
        for (i, t) in mine.iter().enumerate() {
            let due = t.due.expect("paced requests have a due time");
            let expected = Duration::from_secs_f64(c as f64 / rate) + every * i as u32;
            assert!(due.abs_diff(expected) < Duration::from_micros(2), "{due:?}");
            assert!(t.sent >= due, "sent {:?} before due {due:?}", t.sent);
            assert!(t.answered >= t.sent);
            // From when it was due: never less than its own answer time,
            // never more than its real wait from the schedule.
            assert!(t.latency >= t.answered - t.sent);
            assert!(t.latency <= t.answered - due);
            assert!(t.timer_late <= t.sent - due);
        }
    }
    let late = r.timer_late_us.expect("a paced run reports its timer");
    assert!(late[0] <= late[3]);
    assert!(r.latency_us[0] > 0 && r.latency_us[2] <= r.latency_us[3]);
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_answers_every_article_and_times_each() {
    let mut server = start().await;
    let articles = corpus::generate(50, 8, 0.2);
    let addr = server.addr.to_string();
    let r = run(&addr, &articles, Mode::Stream, 2, 0.0, "stream", true)
        .await
        .expect("the run completes");
    assert_eq!((r.articles, r.errors), (50, 0));
    assert_eq!(server.documents().await, 50);
    assert!(r.timer_late_us.is_none());
    for t in &r.requests {
        assert!(t.due.is_none());
        assert!(t.answered >= t.sent);
        assert_eq!(t.latency, t.answered - t.sent);
    }
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn an_unreachable_server_is_a_clear_error() {
    // A port just freed: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let articles = corpus::generate(2, 1, 0.0);
    let err = run(&addr, &articles, Mode::Unary, 1, 0.0, "none", true)
        .await
        .expect_err("nothing listens there");
    assert!(
        err.to_string()
            .contains("is `syndetect serve` running there?"),
        "{err}"
    );
}
