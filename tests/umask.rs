//! New files under every process umask (spec/storage.md §2.7 rule 3, spec/damaged-inputs.md
//! row `umask`): whatever the umask, a new session file, a converted file, a string file and a
//! salvaged file is made, with mode 0600, and no temporary file or folder is left.
//!
//! A umask that takes the owner's read or write bits (277, 377, 777) once left the file a new
//! session is built in unwritable, and every command failed with a message about something
//! else: `import` said "no write permission ... open it read-only" of a file that did not exist
//! yet, `convert` "attempt to write a readonly database", and `salvage` named its temporary copy.
//! Root may write any file whatever its mode, so where the tests run as root the commands run as
//! another user (uid 64123, with `setpriv` from util-linux) too; a umask is set the only way a
//! safe program can, by a shell (`sh -c 'umask 277; exec "$0" "$@"'`).
//!
//! The child that calls `Storage::open_file` is this test binary itself, started again with
//! `PYROSESSION_UMASK_OPEN` set to the file to create.

mod util;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use libtest_mimic::{Arguments, Failed, Trial};
use pyrosession::storage::Storage;
use util::TempDir;

const OPEN: &str = "PYROSESSION_UMASK_OPEN";
/// The user the commands run as where the tests run as root.
const USER: u32 = 64_123;
const UMASKS: [&str; 6] = ["000", "022", "077", "277", "377", "777"];

fn main() {
    if let Some(path) = std::env::var_os(OPEN) {
        match Storage::open_file(&path).and_then(Storage::close) {
            Ok(()) => println!("ok"),
            Err(e) => {
                eprintln!("pyrosession: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    let args = Arguments::from_args();
    let other = other_user();
    if let Err(why) = &other {
        eprintln!("umask trials as another user NOT RUN: {why}");
    }
    let trials = vec![
        Trial::test("new_files_are_0600_whatever_the_umask", || new_files(None)),
        Trial::test(
            "new_files_are_0600_whatever_the_umask_as_another_user",
            move || new_files(Some(USER)),
        )
        .with_ignored_flag(other.is_err()),
        // Runs everywhere, so the table is checked even where the trial it describes cannot run.
        Trial::test("the_damaged_inputs_row_is_what_is_checked", || {
            let text = std::fs::read_to_string(util::root().join("spec/damaged-inputs.md"))?;
            let line = text
                .lines()
                .find(|l| l.starts_with("| `umask` |"))
                .ok_or("no row umask in spec/damaged-inputs.md")?;
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
            assert_eq!(cells[2..], ROW);
            Ok(())
        }),
    ];
    libtest_mimic::run(&args, trials).exit();
}

const ROW: [&str; 3] = [
    "see tests/umask.rs: ok; the new file is mode 0600 (spec/storage.md §2.7)",
    "(in the same test)",
    "no temporary file or folder left",
];

/// Whether another user can be played here: it takes root and `setpriv`.
fn other_user() -> Result<(), String> {
    if std::fs::metadata("/proc/self").map_or(true, |m| m.uid() != 0) {
        return Err("acting as another user with setpriv takes root".into());
    }
    let works = Command::new("setpriv")
        .args(["--reuid=64123", "--regid=64123", "--clear-groups", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    if works {
        Ok(())
    } else {
        Err("setpriv (util-linux) is not available".into())
    }
}

/// Where and how a command runs: under `umask`, as `user` where given, in `dir`, with `TMPDIR`
/// set to `tmp`.
struct Place<'a> {
    user: Option<u32>,
    umask: &'a str,
    dir: &'a Path,
    tmp: &'a Path,
}

impl Place<'_> {
    /// Runs `program args` here; `open` is the file this test binary, as the program, opens.
    fn run(&self, program: &Path, args: &[&str], open: Option<&str>) -> Output {
        let mut cmd = match self.user {
            Some(uid) => {
                let mut c = Command::new("setpriv");
                c.args([
                    &format!("--reuid={uid}"),
                    &format!("--regid={uid}"),
                    "--clear-groups",
                    "sh",
                ]);
                c
            }
            None => Command::new("sh"),
        };
        cmd.arg("-c")
            .arg(format!("umask {}; exec \"$0\" \"$@\"", self.umask))
            .arg(program)
            .args(args)
            .current_dir(self.dir)
            .env("TMPDIR", self.tmp);
        if let Some(open) = open {
            cmd.env(OPEN, open);
        }
        cmd.output().expect("run sh")
    }
}

/// Every name in `dir`.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn new_files(user: Option<u32>) -> Result<(), Failed> {
    let base = TempDir::new("umask");
    std::fs::set_permissions(&base.0, std::fs::Permissions::from_mode(0o755))?;
    let session = std::fs::read_to_string(util::root().join("spec/examples/v2.txt"))?;
    let session = session.trim_end();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_pyrosession"));
    let me = std::env::current_exe()?;
    let mut failures = Vec::new();
    for umask in UMASKS {
        let dir = base.join(&format!("u{umask}"));
        let tmp = base.join(&format!("t{umask}"));
        for d in [&dir, &tmp] {
            std::fs::create_dir(d)?;
            if let Some(uid) = user {
                std::os::unix::fs::chown(d, Some(uid), Some(uid))?;
            }
        }
        let damaged = dir.join("damaged.session");
        std::fs::copy(
            util::root().join("spec/fixtures/pyrogram-2.0.106.session"),
            &damaged,
        )?;
        if let Some(uid) = user {
            std::os::unix::fs::chown(&damaged, Some(uid), Some(uid))?;
        }
        let mut commands: Vec<(String, Vec<&str>)> = vec![
            (
                "import.session".into(),
                vec!["import", session, "import.session"],
            ),
            (
                "salvaged.session".into(),
                vec!["salvage", "damaged.session", "salvaged.session"],
            ),
        ];
        for target in [
            "pyrogram-file",
            "telethon-file",
            "pyrogram",
            "telethon",
            "gramjs",
        ] {
            commands.push((
                format!("c.{target}"),
                vec!["convert", session, "--to", target],
            ));
        }
        let at = Place {
            user,
            umask,
            dir: &dir,
            tmp: &tmp,
        };
        let mut made = vec![(
            "open.session".to_owned(),
            at.run(&me, &[], Some("open.session")),
        )];
        for (name, mut args) in commands {
            if args[0] == "convert" {
                args.push(&name);
            }
            let out = at.run(&bin, &args, None);
            made.push((name, out));
        }
        for (name, out) in &made {
            let path = dir.join(name);
            let bits = std::fs::metadata(&path).map(|m| format!("{:o}", m.mode() & 0o7777));
            if !out.status.success() || bits.as_deref().ok() != Some("600") {
                failures.push(format!(
                    "umask {umask}, {name}: {:?}, mode {bits:?}: {}",
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr).trim_end()
                ));
            }
        }
        let mut expected: Vec<String> = made.iter().map(|(n, _)| n.clone()).collect();
        expected.push("damaged.session".to_owned());
        expected.sort();
        let left = names(&dir);
        if left != expected {
            failures.push(format!("umask {umask}: the folder holds {left:?}"));
        }
        if !names(&tmp).is_empty() {
            failures.push(format!("umask {umask}: TMPDIR holds {:?}", names(&tmp)));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n").into())
    }
}
