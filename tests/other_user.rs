//! Another local user who knows the names the crate would give its temporary files and folders
//! creates them first (spec/storage.md §2.7, spec/conformance.md §2.3, spec/damaged-inputs.md).
//!
//! The two users are played with `setpriv` (util-linux), which takes root: the user running the
//! crate is uid 64123, the other one uid 65534 (`nobody`), and they share a sticky, world-writable
//! folder that stands for `/tmp` (`TMPDIR` points at it). Each command of the first user runs as
//! process 1 of a new pid namespace (`unshare --pid --fork`), as the first process of any
//! container does, so that the other user knows its process id. Where the tests do not run as
//! root, those trials are reported as ignored, and this says why.
//!
//! The child processes that open a storage are this test binary itself, started again with
//! `PYROSESSION_OTHER_USER_OPEN` set to the file to create.

mod util;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use libtest_mimic::{Arguments, Failed, Trial};
use pyrosession::conform::{Driver, DriverError, Failure, LocalDriver};
use pyrosession::storage::Storage;
use serde_json::Value;
use util::TempDir;

/// The user who runs the crate.
const USER: u32 = 64_123;
/// The other local user.
const OTHER: u32 = 65_534;
const OPEN: &str = "PYROSESSION_OTHER_USER_OPEN";
/// What the user's own file holds; it must still hold it afterwards.
const PRECIOUS: &[u8] = b"the user's own file, which nobody may overwrite\n";

fn main() {
    if let Some(path) = std::env::var_os(OPEN) {
        match Storage::open_file(&path).and_then(Storage::close) {
            Ok(()) => println!("ok"),
            Err(e) => {
                println!("err {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    let args = Arguments::from_args();
    let why = cannot_play_two_users();
    if let Some(why) = &why {
        eprintln!("other-user trials NOT RUN: {why}");
    }
    let trials = vec![
        Trial::test(
            "conform_uses_no_folder_another_user_made_first",
            conform_against_other_user,
        )
        .with_ignored_flag(why.is_some()),
        Trial::test(
            "new_files_use_no_temporary_name_another_user_made_first",
            new_files_against_other_user,
        )
        .with_ignored_flag(why.is_some()),
        Trial::test(
            "a_file_another_user_planted_is_not_opened_for_writing",
            planted_file,
        )
        .with_ignored_flag(why.is_some()),
        Trial::test(
            "scenario_folders_are_fresh_private_and_removed",
            scenario_folders,
        ),
        Trial::test(
            "a_folder_that_cannot_be_made_is_a_driver_error",
            folder_cannot_be_made,
        ),
        Trial::test(
            "a_folder_that_cannot_be_removed_is_a_driver_error",
            folder_cannot_be_removed,
        ),
        // Runs everywhere, so the table is checked even where the trial it describes cannot run.
        Trial::test("the_damaged_inputs_row_is_what_is_checked", || {
            assert_eq!(table_row("taken-temporary-names")?, ROW);
            Ok(())
        }),
    ];
    libtest_mimic::run(&args, trials).exit();
}

/// The other user plants a session file, readable and writable by all (0666), in the shared folder; the user's
/// open for writing refuses it, naming its owner, and writes nothing into it (spec/storage.md
/// §2.2, "Owner and mode"; found by an audit, issue 17, second round: the new key was written,
/// and the planter read it). Read-only, it opens.
fn planted_file() -> Result<(), Failed> {
    let stage = stage("other-user-planted")?;
    let planted = stage.shared.join("bot.session");
    let fixture = util::root().join("spec/fixtures/pyrogram-2.0.106.session");
    as_other(r#"cp "$1" "$2" && chmod 666 "$2""#, &[&fixture, &planted])?;
    let before = std::fs::read(&planted)?;
    let out = as_user(&stage, &std::env::current_exe()?, &[], &[(OPEN, &planted)])?;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "err {}: not opened for writing: the file belongs to user {OTHER}, not to this user ({USER}) or root; whoever made it could read the key written into it; open it read-only, or copy its session into a file of your own\n",
            planted.display()
        ),
        "{}",
        show(&out)
    );
    assert_eq!(
        std::fs::read(&planted)?,
        before,
        "the planted file was written"
    );
    let read_only = as_user(
        &stage,
        Path::new(env!("CARGO_BIN_EXE_pyrosession")),
        &[std::ffi::OsStr::new("inspect"), planted.as_os_str()],
        &[],
    )?;
    assert!(read_only.status.success(), "{}", show(&read_only));
    check_unharmed(&stage, &[])
}

/// Why the two users cannot be played here, if they cannot.
fn cannot_play_two_users() -> Option<String> {
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    if !root {
        return Some("acting as two other users with setpriv takes root".into());
    }
    let works = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !works(
        "setpriv",
        &["--reuid=65534", "--regid=65534", "--clear-groups", "true"],
    ) {
        return Some("setpriv (util-linux) is not available".into());
    }
    if !works("unshare", &["--pid", "--fork", "true"]) {
        return Some("unshare --pid --fork (util-linux) is not allowed".into());
    }
    None
}

/// A sticky, world-writable folder standing for `/tmp`, and the user's own file in a folder
/// only the user may enter.
struct Stage {
    _base: TempDir,
    shared: PathBuf,
    home: PathBuf,
    precious: PathBuf,
}

fn stage(tag: &str) -> Result<Stage, Failed> {
    let base = TempDir::new(tag);
    std::fs::set_permissions(&base.0, std::fs::Permissions::from_mode(0o755))?;
    let shared = base.join("tmp");
    std::fs::create_dir(&shared)?;
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777))?;
    let home = base.join("home");
    std::fs::create_dir(&home)?;
    std::os::unix::fs::chown(&home, Some(USER), Some(USER))?;
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700))?;
    let precious = home.join("precious");
    std::fs::write(&precious, PRECIOUS)?;
    std::os::unix::fs::chown(&precious, Some(USER), Some(USER))?;
    std::fs::set_permissions(&precious, std::fs::Permissions::from_mode(0o600))?;
    Ok(Stage {
        _base: base,
        shared,
        home,
        precious,
    })
}

/// Runs a shell script as the other user, with `args` as `$1`...
fn as_other(script: &str, args: &[&Path]) -> Result<(), Failed> {
    let out = Command::new("setpriv")
        .args([
            format!("--reuid={OTHER}"),
            format!("--regid={OTHER}"),
            "--clear-groups".into(),
        ])
        .args(["sh", "-c", script, "sh"])
        .args(args)
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "the other user's script failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(())
}

/// Runs `program` as the user, as process 1 of a new pid namespace, with `TMPDIR` at the shared
/// folder.
fn as_user(
    stage: &Stage,
    program: &Path,
    args: &[&std::ffi::OsStr],
    env: &[(&str, &Path)],
) -> Result<Output, Failed> {
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "setpriv"])
        .args([
            format!("--reuid={USER}"),
            format!("--regid={USER}"),
            "--clear-groups".into(),
        ])
        .arg(program)
        .args(args)
        .env("TMPDIR", &stage.shared)
        .current_dir(&stage.home);
    for (k, v) in env {
        cmd.env(k, v);
    }
    Ok(cmd.output()?)
}

/// The user's file is as it was, and nothing of the user's is left in the shared folder.
fn check_unharmed(stage: &Stage, kept: &[&str]) -> Result<(), Failed> {
    assert_eq!(
        String::from_utf8_lossy(&std::fs::read(&stage.precious)?),
        String::from_utf8_lossy(PRECIOUS),
        "the user's own file was overwritten"
    );
    let mut left = Vec::new();
    for entry in std::fs::read_dir(&stage.shared)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.metadata()?.uid() == USER && !kept.contains(&name.as_str()) {
            left.push(name);
        }
    }
    assert!(left.is_empty(), "left in the shared folder: {left:?}");
    Ok(())
}

fn show(out: &Output) -> String {
    format!(
        "{}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every name a scenario gives a file in its folder.
const SCENARIO_FILES: &[&str] = &[
    "d.session",
    "del.session",
    "dur.session",
    "e.session",
    "empty.session",
    "json.session",
    "my_account.session",
    "new.session",
    "newer.session",
    "nover.session",
    "p.session",
    "reference.session",
    "saved.session",
    "telethon.session",
    "text.session",
    "v2.session",
    "x.session",
];

/// The other user makes, before `pyrosession conform` runs, a sticky folder at each name a
/// scenario folder of process 1 could have had (`pyrosession-conform-1-<n>`), holding a
/// symbolic link to the user's own file at each name a scenario writes. The run passes, the
/// file is untouched, and the runner leaves nothing behind.
fn conform_against_other_user() -> Result<(), Failed> {
    let stage = stage("other-user-conform")?;
    let count = pyrosession::conform::ALL.len().to_string();
    let names = SCENARIO_FILES.join(" ");
    as_other(
        r#"n=0
        while [ "$n" -lt "$2" ]; do
            d="$1/pyrosession-conform-1-$n"
            mkdir "$d" && chmod 1777 "$d" || exit 1
            for f in $3; do ln -s "$4" "$d/$f" || exit 1; done
            n=$((n + 1))
        done"#,
        &[
            &stage.shared,
            Path::new(&count),
            Path::new(&names),
            &stage.precious,
        ],
    )?;
    let out = as_user(
        &stage,
        Path::new(env!("CARGO_BIN_EXE_pyrosession")),
        &["conform".as_ref()],
        &[],
    )?;
    check_unharmed(&stage, &[])?;
    assert!(out.status.success(), "{}", show(&out));
    Ok(())
}

/// What spec/damaged-inputs.md says of the row this file checks, word for word: the
/// `open_file`, `open_file_read_only` and "afterwards" cells of `taken-temporary-names`, each of
/// which `new_files_against_other_user` asserts.
const ROW: [&str; 3] = [
    "see tests/other_user.rs: ok; the new file is this user's, mode 0600, built under a name nobody could guess (spec/storage.md §2.7)",
    "(in the same test)",
    "the links and the file they point at unchanged; no temporary file left",
];

/// The cells after the description of row `id` of spec/damaged-inputs.md.
fn table_row(id: &str) -> Result<Vec<String>, Failed> {
    let text = std::fs::read_to_string(util::root().join("spec/damaged-inputs.md"))?;
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("| `{id}` |")))
        .ok_or_else(|| format!("no row {id} in spec/damaged-inputs.md"))?;
    let cells: Vec<String> = line
        .trim_matches('|')
        .split(" | ")
        .map(|c| c.trim().to_owned())
        .collect();
    Ok(cells[2..].to_vec())
}

/// The other user makes, before each command runs, a symbolic link to the user's own file at
/// each temporary name process 1 could have taken for the new file (`.<name>.1.<n>.tmp`). The
/// commands that create a session file (opening a new one, `import`, `convert`) succeed; each
/// new file is the user's, mode 0600, and readable; the links and the user's file are as they
/// were.
fn new_files_against_other_user() -> Result<(), Failed> {
    let stage = stage("other-user-new-files")?;
    let names = [
        "opened.session",
        "imported.session",
        "pyrogram.session",
        "telethon.session",
        "string.txt",
    ];
    as_other(
        r#"for name in $2; do
            n=0
            while [ "$n" -lt 128 ]; do
                ln -s "$3" "$1/.$name.1.$n.tmp" || exit 1
                n=$((n + 1))
            done
        done"#,
        &[&stage.shared, Path::new(&names.join(" ")), &stage.precious],
    )?;
    let links = std::fs::read_dir(&stage.shared)?.count();
    let v2 = std::fs::read_to_string(util::root().join("spec/examples/v2.txt"))?;
    let v2 = v2.trim();
    let exe = Path::new(env!("CARGO_BIN_EXE_pyrosession"));
    let at = |name: &str| stage.shared.join(name);
    // Each new file and the command line (after the program) that makes it; `opened.session`
    // is opened by this binary's own child.
    let commands: [(&str, &[&str]); 4] = [
        ("imported.session", &["import", v2]),
        (
            "pyrogram.session",
            &["convert", "--to", "pyrogram-file", v2],
        ),
        (
            "telethon.session",
            &["convert", "--to", "telethon-file", v2],
        ),
        ("string.txt", &["convert", "--to", "telethon", v2]),
    ];
    let mut runs: Vec<(&str, Output)> = vec![(
        "opened.session",
        as_user(
            &stage,
            &std::env::current_exe()?,
            &[],
            &[(OPEN, &at("opened.session"))],
        )?,
    )];
    for (name, args) in commands {
        let target = at(name);
        let mut line: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
        line.push(target.as_os_str());
        runs.push((name, as_user(&stage, exe, &line, &[])?));
    }
    check_unharmed(&stage, &names)?;
    for (name, out) in &runs {
        assert!(out.status.success(), "{name}: {}", show(out));
        let meta = std::fs::symlink_metadata(at(name))?;
        assert!(meta.is_file(), "{name}");
        assert_eq!(meta.uid(), USER, "{name}");
        assert_eq!(meta.mode() & 0o777, 0o600, "{name}");
    }
    for name in ["opened.session", "imported.session", "pyrogram.session"] {
        let s = Storage::open_file_read_only(at(name))?;
        if name != "opened.session" {
            assert_eq!(s.session()?.dc_id, 2, "{name}");
        }
    }
    // The other user's links are all still there, and still links.
    let mut still = 0;
    for entry in std::fs::read_dir(&stage.shared)? {
        let entry = entry?;
        if entry.metadata()?.uid() == OTHER {
            assert!(entry.file_type()?.is_symlink());
            still += 1;
        }
    }
    assert_eq!(still, links);
    Ok(())
}

/// A driver that is the crate's own, and notes the folder of every path it is given.
struct Spy {
    inner: LocalDriver,
    seen: Vec<(PathBuf, std::fs::Metadata)>,
}

impl Driver for Spy {
    fn call(&mut self, op: &str, args: &str) -> Result<Result<String, Failure>, DriverError> {
        let parsed: Value =
            serde_json::from_str(args).map_err(|e| DriverError::Protocol(e.to_string()))?;
        let folder = parsed["path"]
            .as_str()
            .and_then(|p| Path::new(p).parent().map(Path::to_path_buf))
            .or_else(|| parsed["workdir"].as_str().map(PathBuf::from));
        if let Some(folder) = folder {
            if let Ok(meta) = std::fs::symlink_metadata(&folder) {
                self.seen.push((folder, meta));
            }
        }
        self.inner.call(op, args)
    }
}

/// Each scenario's folder is a new folder of this user, mode 0700, named
/// `pyrosession-conform-` and 32 unpredictable hexadecimal digits, one per scenario, and is
/// gone after the run.
fn scenario_folders() -> Result<(), Failed> {
    let mut spy = Spy {
        inner: LocalDriver::new(),
        seen: Vec::new(),
    };
    let report = pyrosession::conform::run(&mut spy)?;
    assert!(report.ok(), "{}", report.to_text());
    assert!(!spy.seen.is_empty());
    let me = std::fs::metadata("/proc/self")?.uid();
    let mut folders: Vec<&PathBuf> = Vec::new();
    for (folder, meta) in &spy.seen {
        let name = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let random = name
            .strip_prefix("pyrosession-conform-")
            .ok_or_else(|| format!("folder {name}"))?;
        assert!(
            random.len() == 32 && random.bytes().all(|b| b.is_ascii_hexdigit()),
            "folder {name}"
        );
        assert!(meta.is_dir(), "{name}");
        assert_eq!(meta.mode() & 0o7777, 0o700, "{name}");
        assert_eq!(meta.uid(), me, "{name}");
        if !folders.contains(&folder) {
            folders.push(folder);
        }
    }
    assert!(folders.len() > 10, "{} folders", folders.len());
    for folder in folders {
        assert!(
            std::fs::symlink_metadata(folder).is_err(),
            "{} is left",
            folder.display()
        );
    }
    Ok(())
}

/// Where the temporary directory does not exist, every scenario is a driver error that says
/// which folder could not be made, and `conform` fails.
fn folder_cannot_be_made() -> Result<(), Failed> {
    let dir = TempDir::new("no-temp");
    let missing = dir.join("missing");
    let out = Command::new(env!("CARGO_BIN_EXE_pyrosession"))
        .args(["conform", "--json"])
        .env("TMPDIR", &missing)
        .output()?;
    assert!(!out.status.success(), "{}", show(&out));
    let report: Value = serde_json::from_slice(&out.stdout)?;
    let scenarios = report["scenarios"].as_array().ok_or("no scenarios")?;
    assert_eq!(scenarios.len(), pyrosession::conform::ALL.len());
    for s in scenarios {
        assert_eq!(s["result"], "driver_error", "{s}");
        util::assert_message(
            &s["detail"].as_str().unwrap_or_default(),
            &format!(
                "cannot make a folder in {}: No such file or directory (os error 2)",
                missing.display()
            ),
        );
    }
    Ok(())
}

/// A driver that is the crate's own, and removes the scenario's folder as it is asked to open a
/// memory storage in it.
struct Remover {
    inner: LocalDriver,
    removed: Option<PathBuf>,
}

impl Driver for Remover {
    fn call(&mut self, op: &str, args: &str) -> Result<Result<String, Failure>, DriverError> {
        let parsed: Value =
            serde_json::from_str(args).map_err(|e| DriverError::Protocol(e.to_string()))?;
        if let Some(workdir) = parsed["workdir"].as_str() {
            std::fs::remove_dir_all(workdir).map_err(DriverError::Io)?;
            self.removed = Some(PathBuf::from(workdir));
        }
        self.inner.call(op, args)
    }
}

/// A scenario folder the runner cannot remove (here: another hand removed it first) makes the
/// scenario a driver error naming the folder, though the scenario itself passed.
fn folder_cannot_be_removed() -> Result<(), Failed> {
    let scenario = pyrosession::conform::ALL
        .iter()
        .find(|s| s.id == "naming.memory")
        .ok_or("no scenario naming.memory")?;
    let mut remover = Remover {
        inner: LocalDriver::new(),
        removed: None,
    };
    let implementation = pyrosession::conform::implementation(&mut remover)?;
    let outcome = pyrosession::conform::run_one(&mut remover, &implementation, scenario);
    let folder = remover.removed.ok_or("the scenario sent no workdir")?;
    assert_eq!(
        outcome,
        pyrosession::conform::Outcome::DriverError(format!(
            "cannot remove {}: No such file or directory (os error 2)",
            folder.display()
        ))
    );
    Ok(())
}
