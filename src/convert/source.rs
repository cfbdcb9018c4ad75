//! A conversion's source read into the hub, once for the command and the Python package
//! (spec/conversions.md §3, spec/tdata.md §9.1): a session's text, a file read once
//! ([`FileArgument`]), or a Telegram Desktop folder with the account chosen and its passcode.
//! Both callers read their source through [`read_source`] and then call [`super::produce`].

use std::path::Path;

use super::tdata::{read_folder, Passcode, ReadOptions, Tdata};
use super::{Account, ConvertError, FileArgument, Input};

/// How to read a Telegram Desktop folder (spec/tdata.md §9.1): the command's `--account` and
/// the passcode of `--passcode-file`, the Python package's `account=` and `passcode=`.
#[derive(Clone, Copy, Debug, Default)]
pub struct FolderChoice<'a> {
    /// The account to read, by its index; the first where `None`.
    pub account: Option<u32>,
    /// The local passcode, where the folder has one.
    pub passcode: Option<&'a Passcode>,
    /// The key file's name (the command's `--key-name`); `None`: found as Telegram Desktop
    /// would be started for the folder ([`ReadOptions::key_file`]).
    pub key_file: Option<&'a str>,
}

/// A source to read.
#[derive(Debug)]
pub enum Source<'a> {
    /// A session's text: a session string of any library, or a Pyrogram JSON session.
    Text(&'a str),
    /// A file, read once: a session file, or a text file holding a session.
    File(FileArgument),
    /// A Telegram Desktop folder ([`super::is_tdata_folder`]).
    Folder(&'a Path, FolderChoice<'a>),
}

/// A Telegram Desktop folder read, and the account chosen from it.
#[derive(Debug)]
pub struct FolderRead {
    /// What the folder holds.
    pub tdata: Tdata,
    /// The index of the account chosen.
    pub chosen: u32,
}

/// A source read into the hub.
#[derive(Debug)]
pub struct Read {
    /// The session.
    pub account: Account,
    /// For a Telegram Desktop folder, what it holds besides (its report, its warnings).
    pub folder: Option<FolderRead>,
}

/// Reads `source` into the hub: the text as [`super::read_text`] reads it, the file as
/// [`FileArgument::into_input`] does, the folder with [`read_folder`] and the account chosen
/// ([`Tdata::choose`]). An error about what a file or folder holds names it
/// ([`ConvertError::at`]).
///
/// # Errors
/// The source cannot be read, or is no session; a folder needs a passcode that was not given
/// ([`super::tdata::TdataErrorKind::PasscodeNeeded`]: the command asks for it and reads
/// again), or was given the wrong one; it has no account of the index chosen.
pub fn read_source(source: Source<'_>) -> Result<Read, ConvertError> {
    match source {
        Source::Text(text) => Ok(Read {
            account: super::read_text(text)?,
            folder: None,
        }),
        Source::File(file) => {
            let path = file.path().to_path_buf();
            let account = file
                .into_input()
                .and_then(Input::into_account)
                .map_err(|e| e.at(Some(&path)))?;
            Ok(Read {
                account,
                folder: None,
            })
        }
        Source::Folder(path, choice) => {
            let (folder, account) = read_tdata(path, choice)?;
            Ok(Read {
                account,
                folder: Some(folder),
            })
        }
    }
}

/// Reads a Telegram Desktop folder ([`read_folder`], with the passcode of `choice`) and the
/// account `choice` names ([`Tdata::choose`]), into the hub. An error names the folder, or the
/// file of it that is wrong.
///
/// # Errors
/// As [`read_source`] for a folder.
pub fn read_tdata(
    path: &Path,
    choice: FolderChoice<'_>,
) -> Result<(FolderRead, Account), ConvertError> {
    let at = |e: ConvertError| e.at(Some(path));
    let options = ReadOptions {
        passcode: choice.passcode,
        key_file: choice.key_file,
    };
    let tdata = read_folder(path, &options).map_err(|e| at(e.into()))?;
    let (chosen, account) = tdata
        .choose(choice.account)
        .map(|(a, account)| (a.index, account))
        .map_err(|e| at(e.into()))?;
    Ok((FolderRead { tdata, chosen }, account))
}
