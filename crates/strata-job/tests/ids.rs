//! Entity ids.

use strata_job::{EntityId, EntityKind, JobError};

#[test]
fn round_trips() {
    for kind in [
        EntityKind::Job,
        EntityKind::Task,
        EntityKind::Asset,
        EntityKind::JobTemplate,
        EntityKind::TaskTemplate,
        EntityKind::MediaProcessor,
    ] {
        let id = EntityId::generate(kind);
        let text = id.to_string();
        assert!(
            text.starts_with(&format!("nb:{}:UUID:", kind.tag())),
            "{text}"
        );
        assert_eq!(EntityId::parse(&text).unwrap(), id);
        assert_eq!(text.parse::<EntityId>().unwrap(), id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(serde_json::from_str::<EntityId>(&json).unwrap(), id);
    }
    assert_eq!(EntityId::new_job().kind(), EntityKind::Job);
    assert_eq!(EntityId::new_task().kind(), EntityKind::Task);
    assert_eq!(EntityId::new_asset().kind(), EntityKind::Asset);
    assert_eq!(EntityId::new_job_template().kind(), EntityKind::JobTemplate);
    assert_eq!(
        EntityId::new_task_template().kind(),
        EntityKind::TaskTemplate
    );
    assert_ne!(EntityId::new_job(), EntityId::new_job());
}

#[test]
fn parse_forms() {
    let canonical = "nb:cid:UUID:aab7f15b-3136-4ddf-9962-e9ecb28fb9d2";
    assert_eq!(
        EntityId::parse("nb%3Acid%3AUUID%3Aaab7f15b-3136-4ddf-9962-e9ecb28fb9d2")
            .unwrap()
            .to_string(),
        canonical
    );
    assert_eq!(
        EntityId::parse("nb:cid:UUID:AAB7F15B-3136-4DDF-9962-E9ECB28FB9D2")
            .unwrap()
            .to_string(),
        canonical
    );
    let ttid = EntityId::parse("nb:ttid:UUID:071370A3-E63E-4E81-A099-AD66BCAC3789").unwrap();
    assert_eq!(ttid.kind(), EntityKind::TaskTemplate);
}

#[test]
fn bad_ids() {
    for bad in [
        "",
        "nb:cid",
        "xx:cid:UUID:aab7f15b-3136-4ddf-9962-e9ecb28fb9d2",
        "nb:zz:UUID:aab7f15b-3136-4ddf-9962-e9ecb28fb9d2",
        "nb:cid:GUID:aab7f15b-3136-4ddf-9962-e9ecb28fb9d2",
        "nb:cid:UUID:not-a-guid",
    ] {
        assert!(
            matches!(EntityId::parse(bad), Err(JobError::InvalidId { .. })),
            "{bad}"
        );
    }
    let err = EntityId::parse_kind(
        "nb:cid:UUID:aab7f15b-3136-4ddf-9962-e9ecb28fb9d2",
        EntityKind::Job,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "entity id \"nb:cid:UUID:aab7f15b-3136-4ddf-9962-e9ecb28fb9d2\" is not a nb:jid: id"
    );
}
