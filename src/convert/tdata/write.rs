//! Writing a new folder (spec/tdata.md §8.3): made whole in memory, then written as a new folder,
//! mode 0700 with files of mode 0600, never over anything that exists.

use std::path::Path;

use zeroize::Zeroizing;

use super::container::{compose as compose_container, data_name, file_part};
use super::crypto::{create_local_key, encrypt_local, SALT_LEN};
use super::error::{TdataError, TdataErrorKind};
use super::mtp::write_data;
use super::qt::{put_array, put_i32};
use super::{
    key_file_name, telegram_key_name, Image, Login, WriteOptions, MAX_ACCOUNTS, WRITTEN_VERSION,
};
use crate::AuthKey;

/// Fills `buf` from the system's random source.
fn random(buf: &mut [u8]) -> Result<(), TdataError> {
    getrandom::fill(buf).map_err(|e| {
        TdataError::new(
            None,
            TdataErrorKind::Io {
                doing: "reading the system's random source",
                error: std::io::Error::other(e.to_string()),
            },
        )
    })
}

/// The files of a new folder holding `logins` as accounts 0, 1, … (spec/tdata.md §8.3): a new
/// random local key, encrypted under the passcode's key (one PBKDF2 round without a passcode,
/// 100,000 with one); the account list, the first account active; per account an empty map and
/// the MTP data with its authorization. No `configs` is written: Telegram Desktop then takes
/// its production configuration.
pub fn compose(logins: &[Login], options: &WriteOptions<'_>) -> Result<Image, TdataError> {
    let count = u32::try_from(logins.len()).unwrap_or(u32::MAX);
    if count == 0 || count > MAX_ACCOUNTS {
        return Err(TdataError::new(
            None,
            TdataErrorKind::AccountsToWrite {
                count: logins.len(),
            },
        ));
    }
    let key_file = key_file_name(options.key_file)?;
    let telegram = telegram_key_name(key_file);
    if telegram != key_file {
        return Err(TdataError::new(
            None,
            TdataErrorKind::KeyNameNotTelegrams {
                name: key_file.to_owned(),
                telegram,
            },
        ));
    }
    let mut bytes = Zeroizing::new([0u8; AuthKey::LEN]);
    random(bytes.as_mut_slice())?;
    let local_key = AuthKey::new(*bytes);
    let mut salt = [0u8; SALT_LEN];
    random(&mut salt)?;
    let passcode = options.passcode.map_or(&[][..], |p| p.as_bytes());
    let passcode_key = create_local_key(passcode, &salt);

    let mut failed = None;
    let mut fill = |buf: &mut [u8]| {
        if let Err(e) = random(buf) {
            failed.get_or_insert(e);
        }
    };
    let key_encrypted = encrypt_local(local_key.as_bytes(), &passcode_key, &mut fill);
    let mut info = Vec::new();
    put_i32(&mut info, count.cast_signed());
    for index in 0..count {
        put_i32(&mut info, index.cast_signed());
    }
    put_i32(&mut info, 0);
    let info_encrypted = encrypt_local(&info, &local_key, &mut fill);
    let mut key_data = Vec::new();
    put_array(&mut key_data, Some(&salt));
    put_array(&mut key_data, Some(&key_encrypted));
    put_array(&mut key_data, Some(&info_encrypted));

    let mut image = Image::new();
    image.insert(
        &format!("key_{key_file}s"),
        compose_container(WRITTEN_VERSION, &key_data),
        None,
    );
    for (index, login) in (0..count).zip(logins) {
        let part = file_part(&data_name(key_file, index));
        let mut map = Vec::new();
        put_array(&mut map, None);
        put_array(&mut map, None);
        put_array(&mut map, Some(&encrypt_local(&[], &local_key, &mut fill)));
        image.insert(
            &format!("{part}/maps"),
            compose_container(WRITTEN_VERSION, &map),
            None,
        );
        let plain = write_data(&login.authorization);
        let mut mtp = Zeroizing::new(Vec::new());
        put_array(
            &mut mtp,
            Some(&encrypt_local(&plain, &local_key, &mut fill)),
        );
        image.insert(
            &format!("{part}s"),
            compose_container(WRITTEN_VERSION, &mtp),
            None,
        );
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(image),
    }
}

/// Writes `logins` as a new folder at `path` (spec/tdata.md §8.3): the folder is created with
/// mode 0700 and must not exist (nor a link, nor anything else at its name); its files and the
/// accounts' folders are created new, files with mode 0600. Where writing fails, what was
/// created is removed.
pub fn write_folder(
    path: &Path,
    logins: &[Login],
    options: &WriteOptions<'_>,
) -> Result<(), TdataError> {
    let image = compose(logins, options)?;
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path).map_err(|error| {
        let kind = if error.kind() == std::io::ErrorKind::AlreadyExists {
            TdataErrorKind::AlreadyExists
        } else {
            TdataErrorKind::Io {
                doing: "creating the folder",
                error,
            }
        };
        TdataError::new(Some(path.to_path_buf()), kind)
    })?;
    let result = fill_folder(path, &image, &builder);
    if result.is_err() {
        // What this call created, and nothing else: the folder did not exist before it.
        let _ = std::fs::remove_dir_all(path);
    }
    result
}

fn fill_folder(
    path: &Path,
    image: &Image,
    builder: &std::fs::DirBuilder,
) -> Result<(), TdataError> {
    use std::io::Write as _;
    for (name, (bytes, _)) in &image.files {
        let file_path = path.join(name);
        let at = |doing, error| {
            TdataError::new(Some(file_path.clone()), TdataErrorKind::Io { doing, error })
        };
        if let Some(parent) = file_path.parent().filter(|p| *p != path) {
            if !parent.is_dir() {
                builder
                    .create(parent)
                    .map_err(|e| at("creating the account's folder", e))?;
            }
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&file_path)
            .map_err(|e| at("creating the file", e))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| at("writing the file", e))?;
    }
    Ok(())
}
