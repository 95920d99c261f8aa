use super::*;

#[test]
fn failed_write_keeps_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("out.jsonl");
    write_atomic(&p, |w| Ok(w.write_all(b"old\n")?)).unwrap();
    let err = write_atomic(&p, |w| {
        w.write_all(b"half")?;
        crate::error::bail!("boom")
    });
    assert!(err.is_err());
    assert_eq!(fs::read_to_string(&p).unwrap(), "old\n");
    let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "temporary file left behind");
}

/// A set interrupted between its renames (as a killed run leaves it) is rolled back from
/// either folder; a live temporary file is left alone.
#[test]
fn a_half_committed_set_is_rolled_back_from_either_folder() {
    for from_second in [false, true] {
        let root = tempfile::tempdir().unwrap();
        let (a, b) = (root.path().join("a"), root.path().join("b"));
        fs::create_dir_all(&a).unwrap();
        fs::create_dir_all(&b).unwrap();
        let (pa, pb) = (a.join("x.jsonl"), b.join("x.rmb"));
        fs::write(&pa, "old a").unwrap();
        fs::write(&pb, "old b").unwrap();
        // Stage and link as a commit does, write the journal, rename the first file only.
        let mut set = OutputSet::new();
        set.stage(&pa, |w| Ok(w.write_all(b"new a")?)).unwrap();
        set.stage(&pb, |w| Ok(w.write_all(b"new b")?)).unwrap();
        let mut entries = Vec::new();
        let folders = vec![fs::canonicalize(&a).unwrap(), fs::canonicalize(&b).unwrap()];
        for (i, (tmp, target)) in set.staged.iter().enumerate() {
            let bak = backup(target).unwrap().unwrap();
            entries.push(Entry {
                folder: i,
                target: file_name(target).unwrap(),
                staged: file_name(&tmp.path).unwrap(),
                backup: Some(file_name(&bak).unwrap()),
            });
        }
        let journal = Journal {
            rumedbench_journal: 1,
            this: 0,
            folders,
            entries,
        };
        let name = journal_name();
        journal.write_copies(&name).unwrap();
        fs::rename(&set.staged[0].0.path, &pa).unwrap();
        // What a dead process leaves: nothing registered, no lock held.
        for (tmp, _) in &mut set.staged {
            tmp.disarm(&mut pending());
        }
        drop(set);
        assert_eq!(fs::read_to_string(&pa).unwrap(), "new a");
        // A live temporary file of another writer.
        let live = Temp::beside(&a.join("other.jsonl"), ".tmp").unwrap();
        let (first, second) = if from_second { (&b, &a) } else { (&a, &b) };
        let _lock = RunLock::acquire(first).unwrap();
        let r = recover(first).unwrap();
        assert_eq!(r.rolled_back, 1, "{r:?}");
        assert_eq!(fs::read_to_string(&pa).unwrap(), "old a");
        assert_eq!(fs::read_to_string(&pb).unwrap(), "old b");
        let _lock2 = RunLock::acquire(second).unwrap();
        recover(second).unwrap();
        for d in [&a, &b] {
            let left: Vec<String> = fs::read_dir(d)
                .unwrap()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| ours(n) && Path::new(n) != live.path.file_name().unwrap())
                .collect();
            assert!(left.is_empty(), "{}: {left:?}", d.display());
        }
        assert!(live.path.exists(), "a live temporary file was removed");
        drop(live);
    }
}
