//! The laws of Telegram Desktop folders as properties (spec/tdata.md §11): what is written
//! reads back; a folder to each target and back gives the login back; no changed byte of a
//! folder is taken for a login; the reader takes any bytes without panicking. Folders are made
//! in memory without a passcode (a passcode costs 100,000 PBKDF2 rounds; tests/tdata.rs reads
//! and writes passcode folders).

use proptest::prelude::*;
use pyrosession::convert::tdata::{
    self, Authorization, DcKey, Image, Login, ReadOptions, WriteOptions,
};
use pyrosession::convert::{self, dc, Options, Target};
use pyrosession::AuthKey;

fn key() -> impl Strategy<Value = AuthKey> {
    proptest::collection::vec(any::<u8>(), 256)
        .prop_filter("a key that is not all zeros", |k| k.iter().any(|&b| b != 0))
        .prop_map(|k| AuthKey::from_slice(&k).expect("256 bytes"))
}

/// A login on a production data center of the table, with up to two more keys and up to one
/// key to destroy; user ids up to 2^52, beyond 32 bits.
fn login() -> impl Strategy<Value = Login> {
    (
        1u64..(1 << 52),
        1i32..=5,
        key(),
        proptest::collection::vec((1i32..=5, key()), 0..3),
        proptest::collection::vec((1i32..=5, key()), 0..2),
    )
        .prop_map(|(user_id, main_dc, main_key, others, destroy)| {
            let mut keys = vec![DcKey {
                dc_id: main_dc,
                key: main_key,
            }];
            keys.extend(
                others
                    .into_iter()
                    .filter(|(d, _)| *d != main_dc)
                    .map(|(dc_id, key)| DcKey { dc_id, key }),
            );
            Login {
                authorization: Authorization {
                    user_id,
                    main_dc,
                    keys,
                    keys_to_destroy: destroy
                        .into_iter()
                        .map(|(dc_id, key)| DcKey { dc_id, key })
                        .collect(),
                    wide_ids: true,
                },
            }
        })
}

/// 1 to 6 logins of different users, as Telegram Desktop keeps them.
fn logins() -> impl Strategy<Value = Vec<Login>> {
    proptest::collection::vec(login(), 1..=6).prop_map(|mut v| {
        for (i, l) in v.iter_mut().enumerate() {
            l.authorization.user_id = l.authorization.user_id * 8 + i as u64;
        }
        v
    })
}

fn read(image: &Image) -> Result<tdata::Tdata, tdata::TdataError> {
    tdata::read_image(image, &ReadOptions::default())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Law: a composed folder reads back with every login as written (user ids, main data
    /// centers, keys and keys to destroy), in the order written, nothing skipped.
    #[test]
    fn prop_composed_folders_read_back(logins in logins()) {
        let image = tdata::compose(&logins, &WriteOptions::default()).unwrap();
        let folder = read(&image).unwrap();
        prop_assert!(folder.skipped.is_empty());
        let got: Vec<_> = folder.accounts.iter().map(|a| &a.authorization).collect();
        let want: Vec<_> = logins.iter().map(|l| &l.authorization).collect();
        prop_assert_eq!(got, want);
    }

    /// Law: a folder's login taken to each string target and back, and into a folder again,
    /// gives the same key, data center and user id (the user id given again where the target
    /// holds none: Telethon and GramJS).
    #[test]
    fn prop_tdata_to_each_target_and_back(login in login()) {
        let image = tdata::compose(std::slice::from_ref(&login), &WriteOptions::default()).unwrap();
        let account = read(&image).unwrap().account(0).unwrap();
        let a = &login.authorization;
        prop_assert!(dc::lookup(account.dc_id, false).is_some());
        let options = Options { api_id: Some(2040), is_bot: Some(false), ..Options::default() };
        for target in [Target::Pyrogram, Target::Telethon, Target::Gramjs] {
            let text = convert::render(&account, target, &options).unwrap().text;
            let back = convert::read_text(&text).unwrap();
            let again = Login::from_account(&back, Some(a.user_id)).unwrap();
            let image = tdata::compose(&[again], &WriteOptions::default()).unwrap();
            let folder = read(&image).unwrap();
            let b = &folder.accounts[0].authorization;
            prop_assert_eq!((b.user_id, b.main_dc), (a.user_id, a.main_dc));
            prop_assert_eq!(&b.keys[0].key, &a.keys[0].key);
        }
    }

    /// Law: any one changed byte of any file of a folder is refused or read as the same
    /// logins, never as another login (every file read is under an MD5 check).
    #[test]
    fn prop_no_changed_byte_gives_another_login(
        logins in proptest::collection::vec(login(), 1..=2),
        pick in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        xor in 1u8..,
    ) {
        let mut logins = logins;
        if logins.len() == 2 {
            logins[1].authorization.user_id ^= 1 << 60;
        }
        let image = tdata::compose(&logins, &WriteOptions::default()).unwrap();
        let names: Vec<String> = image.names().map(str::to_owned).collect();
        let name = &names[pick.index(names.len())];
        let mut bytes = image.get(name).unwrap().to_vec();
        let i = at.index(bytes.len());
        bytes[i] ^= xor;
        let mut damaged = image.clone();
        damaged.insert(name, bytes, None);
        if let Ok(folder) = read(&damaged) {
            for account in &folder.accounts {
                let a = &account.authorization;
                prop_assert!(logins.iter().any(|l| &l.authorization == a));
            }
        }
    }

    /// Law: the reader takes any bytes in any of a folder's files without panicking.
    #[test]
    fn prop_any_bytes_are_read_without_panicking(
        key_data in proptest::collection::vec(any::<u8>(), 0..400),
        mtp in proptest::collection::vec(any::<u8>(), 0..400),
        container in any::<bool>(),
    ) {
        let wrap = |b: Vec<u8>| if container { tdata::compose_container(1, &b) } else { b };
        let mut image = Image::new();
        image.insert("key_datas", wrap(key_data), None);
        image.insert("D877F783D5D3EF8Cs", wrap(mtp.clone()), None);
        image.insert("D877F783D5D3EF8C/maps", wrap(mtp), None);
        let _ = read(&image);
    }
}
