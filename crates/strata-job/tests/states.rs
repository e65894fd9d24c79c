//! States, transitions and records.

use strata_job::{ErrorCode, ErrorDetail, Job, JobError, JobRecord, State, TaskRecord};

#[test]
fn numeric_values() {
    let expected = [
        (State::Queued, 0),
        (State::Scheduled, 1),
        (State::Processing, 2),
        (State::Finished, 3),
        (State::Error, 4),
        (State::Canceled, 5),
        (State::Canceling, 6),
    ];
    for (s, n) in expected {
        assert_eq!(s.code(), n);
        assert_eq!(State::from_code(n), Some(s));
        assert_eq!(serde_json::to_string(&s).unwrap(), n.to_string());
        assert_eq!(serde_json::from_str::<State>(&n.to_string()).unwrap(), s);
        assert_eq!(State::from_name(s.name()), Some(s));
    }
    assert_eq!(State::from_code(7), None);
    assert!(serde_json::from_str::<State>("7").is_err());
    assert_eq!(State::from_name("Cancelled"), Some(State::Canceled));
}

#[test]
fn transitions() {
    use State::*;
    let legal = [
        (Queued, Scheduled),
        (Scheduled, Processing),
        (Processing, Finished),
        (Queued, Canceling),
        (Scheduled, Canceling),
        (Processing, Canceling),
        (Queued, Error),
        (Scheduled, Error),
        (Processing, Error),
        (Queued, Canceled),
        (Scheduled, Canceled),
        (Canceling, Canceled),
        (Canceling, Error),
    ];
    for from in State::ALL {
        for to in State::ALL {
            let ok = legal.contains(&(from, to));
            assert_eq!(from.can_transition_to(to), ok, "{from} -> {to}");
            assert_eq!(from.transition(to).is_ok(), ok);
        }
    }
    let err = Finished.transition(Processing).unwrap_err();
    assert_eq!(
        err.to_string(),
        "illegal state transition Finished → Processing"
    );
    for s in [Finished, Error, Canceled] {
        assert!(s.is_final() && !s.can_cancel());
    }
    assert!(!Canceling.can_cancel() && !Canceling.is_final());
    assert!(Processing.can_cancel());
}

#[test]
fn aggregate() {
    use State::*;
    assert_eq!(State::aggregate([Queued, Queued]), Queued);
    assert_eq!(State::aggregate([Scheduled, Queued]), Scheduled);
    assert_eq!(State::aggregate([Finished, Queued]), Processing);
    assert_eq!(State::aggregate([Finished, Finished]), Finished);
    assert_eq!(State::aggregate([Finished, Error]), Error);
    // A failed or cancelled task does not end the job while a sibling still runs.
    assert_eq!(State::aggregate([Error, Processing]), Processing);
    assert_eq!(State::aggregate([Error, Queued]), Processing);
    assert_eq!(State::aggregate([Canceled, Processing]), Processing);
    assert_eq!(State::aggregate([Canceled, Finished]), Canceled);
    assert_eq!(State::aggregate([Canceled, Error, Finished]), Error);
    assert_eq!(State::aggregate([Canceling, Processing]), Canceling);
}

#[test]
fn records() {
    let job = Job::from_json(include_str!("fixtures/chained-job.json")).unwrap();
    let mut rec = JobRecord::new(&job, 1_000);
    assert_eq!(rec.state, State::Queued);
    assert_eq!(rec.tasks.len(), 2);
    let t: &mut TaskRecord = &mut rec.tasks[1];
    t.transition(State::Scheduled, 1_100).unwrap();
    t.transition(State::Processing, 1_200).unwrap();
    t.set_progress(50.0).unwrap();
    assert!(matches!(
        t.set_progress(100.5),
        Err(JobError::InvalidProgress { .. })
    ));
    assert!(t.set_progress(f64::NAN).is_err());
    rec.refresh(1_300);
    assert_eq!(rec.state, State::Processing);
    assert_eq!(rec.start_time, Some(1_200));
    assert_eq!(rec.progress(), 25.0);
    rec.tasks[1].transition(State::Finished, 3_200).unwrap();
    assert_eq!(rec.tasks[1].running_duration, 2_000.0);
    assert_eq!(rec.tasks[1].progress, 100.0);
    let t0 = &mut rec.tasks[0];
    t0.transition(State::Scheduled, 3_300).unwrap();
    t0.transition(State::Processing, 3_400).unwrap();
    t0.fail(
        ErrorDetail {
            code: ErrorCode::ErrorParsingConfiguration,
            message: "bad preset".into(),
        },
        3_500,
    )
    .unwrap();
    assert!(t0.transition(State::Finished, 3_600).is_err());
    rec.refresh(3_500);
    assert_eq!(rec.state, State::Error);
    assert_eq!(rec.end_time, Some(3_500));
    assert_eq!(rec.running_duration, 2_300.0);
    let json = serde_json::to_value(&rec).unwrap();
    assert_eq!(json["State"], 4);
    assert_eq!(
        json["Tasks"][0]["ErrorDetails"][0]["Code"],
        "ErrorParsingConfiguration"
    );
    assert_eq!(
        rec.tasks[0].error_details[0].to_string(),
        "ErrorParsingConfiguration : bad preset"
    );
    let back: JobRecord = serde_json::from_value(json).unwrap();
    assert_eq!(back, rec);
}
