"""The package's exceptions: one base class, one class per error kind.

Every exception carries ``kind`` (the crate's code for its error kind, snake_case:
``StorageErrorKind::code``, ``DecodeErrorKind::code``, ``ConvertErrorKind::code``), ``message``
(the crate's message, also ``str(e)``) and ``path`` (the file the error is about, or ``None``). Decoding errors
also carry ``pyrogram_error``: what Pyrogram 2.0.106 raises for the same string, if anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional, Tuple, Type

__all__ = [
    "PyrosessionError",
    "StorageError",
    "DecodeError",
    "EncodeError",
    "ConvertError",
    "SqliteError",
    "IoError",
    "NameTooLongError",
    "NoSuchDirectoryError",
    "InUseError",
    "CorruptError",
    "UnreadableSchemaError",
    "ReadOnlyError",
    "ReadOnlyStorageError",
    "ChangedError",
    "ReplacedError",
    "DeleteReplacedError",
    "NeedsRecoveryError",
    "PermissionDeniedError",
    "DiskFullError",
    "NoSuchFileError",
    "DanglingSymlinkError",
    "NotAFilePathError",
    "IsADirectoryError",
    "NotAFileError",
    "EmptyFileError",
    "LegacyJsonSessionError",
    "NotSqliteError",
    "TelethonSessionError",
    "NotASessionError",
    "NewerVersionError",
    "InconsistentSchemaError",
    "UnknownCollationError",
    "VersionRowsError",
    "SessionRowsError",
    "InvalidValueError",
    "UnknownPeerTypeError",
    "MissingAccessHashError",
    "NotFoundError",
    "UsernameExpiredError",
    "MissingFieldError",
    "FieldOutOfRangeError",
    "UnsupportedWriteError",
    "SideFileError",
    "WalIndexUnavailableError",
    "AlreadyExistsError",
    "NothingSavedError",
    "ForeignOwnerError",
    "WritableByOthersError",
    "TooLargeToCopyError",
    "ClosedError",
    "UserIdOutOfRangeError",
    "StringUserIdOutOfRangeError",
    "EmptyStringError",
    "InvalidCharacterError",
    "NonAsciiError",
    "InvalidLengthError",
    "NonZeroTrailingBitsError",
    "InvalidBoolError",
    "IncorrectPaddingError",
    "LoneDataCharacterError",
    "WrongByteLengthError",
    "MissingApiIdError",
    "MissingValuesError",
    "ConflictError",
    "UnknownServerError",
    "UnknownDataCenterError",
    "NotBase64Error",
    "WrongLengthError",
    "WrongVersionError",
    "NoAuthKeyError",
    "InvalidFieldError",
    "NoIpv6AddressError",
    "NotAnIpAddressError",
    "InvalidJsonSessionError",
    "TelethonVersionError",
    "TelethonSchemaError",
    "TelethonSessionRowsError",
    "UnrecognisedError",
    "SameFileError",
    "NotARegularFileError",
    "TdataError",
    "TdataDamagedError",
    "TdataFolderIsALinkError",
    "TdataNotAFolderError",
    "TdataNoFolderError",
    "TdataMissingFileError",
    "TdataNotAFileError",
    "TdataTooLargeError",
    "TdataIoError",
    "TdataBadMagicError",
    "TdataTruncatedError",
    "TdataChecksumError",
    "TdataBadSaltError",
    "TdataPasscodeNeededError",
    "TdataWrongPasscodeError",
    "TdataEncryptedSizeError",
    "TdataDecryptionError",
    "TdataDecryptedSizeError",
    "TdataLocalKeyLengthError",
    "TdataAccountCountError",
    "TdataNoAccountsError",
    "TdataUnknownBlockError",
    "TdataNoAuthorizationError",
    "TdataKeyCountError",
    "TdataNoMainKeyError",
    "TdataSameLoginError",
    "TdataNotLoggedInError",
    "TdataDataCenterError",
    "TdataNoSuchAccountError",
    "TdataMissingValueError",
    "TdataUserIdConflictError",
    "TdataTestServersError",
    "TdataArgon2PasscodeError",
    "TdataArgon2ParametersError",
    "TdataNoPasscodeWrapError",
    "TdataAccountsToWriteError",
    "TdataKeyFileNameError",
    "TdataKeyFilesError",
    "TdataKeyNameNotTelegramsError",
    "TdataAlreadyExistsError",
    "PostgresError",
    "LeaseHeldError",
    "LeaseLostError",
    "NewerServerSchemaError",
    "InvalidAccountNameError",
    "NoSuchAccountError",
    "InvalidLeaseOptionsError",
    "NulCharacterError",
    "TextTooLongError",
]


class PyrosessionError(Exception):
    """The base class of every error the package raises about a session."""

    KIND = "error"

    kind: str
    message: str
    path: Optional[Path]

    def __init__(self, kind: str, message: str, path: Optional[Path] = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.path = None if path is None else Path(path)

    def __str__(self) -> str:
        return self.message


class StorageError(PyrosessionError):
    """A storage engine's error (spec/storage.md §9)."""

    KIND = "storage"


class DecodeError(PyrosessionError, ValueError):
    """A session string that cannot be read (spec/session-string.md §7)."""

    KIND = "decode"

    pyrogram_error: Optional[str]

    def __init__(
        self,
        kind: str,
        message: str,
        path: Optional[Path] = None,
        pyrogram_error: Optional[str] = None,
    ) -> None:
        super().__init__(kind, message, path)
        self.pyrogram_error = pyrogram_error


class EncodeError(PyrosessionError, ValueError):
    """A session that cannot be written in the layout asked for."""

    KIND = "encode"


class ConvertError(PyrosessionError):
    """A session that cannot be converted (``convert``) or read as any format (``inspect``): the
    errors of spec/conversions.md §9 that are not a storage's or a Pyrogram string's (those
    raise ``StorageError`` and ``DecodeError`` subclasses)."""

    KIND = "convert"


class SqliteError(StorageError):
    """Storage: SQLite failed (the crate's message says doing what)."""

    KIND = "sqlite"


class IoError(StorageError):
    """Storage: the file system failed."""

    KIND = "io"


class NameTooLongError(StorageError):
    """Storage: a name too long for the file system."""

    KIND = "name_too_long"


class NoSuchDirectoryError(StorageError):
    """Storage: the working directory does not exist."""

    KIND = "no_such_directory"


class InUseError(StorageError):
    """Storage: another process holds the session file, and the wait ran out."""

    KIND = "in_use"


class CorruptError(StorageError):
    """Storage: the file is damaged."""

    KIND = "corrupt"


class UnreadableSchemaError(StorageError):
    """Storage: SQLite cannot read the file's schema."""

    KIND = "unreadable_schema"


class ReadOnlyError(StorageError):
    """Storage: the file cannot be written."""

    KIND = "read_only"


class ReadOnlyStorageError(StorageError):
    """Storage: a write through a storage opened read-only."""

    KIND = "read_only_storage"


class ChangedError(StorageError):
    """Storage: a file read without locks changed under the reader."""

    KIND = "changed"


class ReplacedError(StorageError):
    """Storage: the path now names another file."""

    KIND = "replaced"


class DeleteReplacedError(StorageError):
    """Storage: delete() found another file at the path."""

    KIND = "delete_replaced"


class NeedsRecoveryError(StorageError):
    """Storage: a write a crash interrupted must be rolled back first."""

    KIND = "needs_recovery"


class PermissionDeniedError(StorageError):
    """Storage: the system refused access."""

    KIND = "permission_denied"


class DiskFullError(StorageError):
    """Storage: the disk is full."""

    KIND = "disk_full"


class NoSuchFileError(StorageError):
    """Storage: no file at the path."""

    KIND = "no_such_file"


class DanglingSymlinkError(StorageError):
    """Storage: a symbolic link to nothing."""

    KIND = "dangling_symlink"


class NotAFilePathError(StorageError):
    """Storage: the path cannot name a file."""

    KIND = "not_a_file_path"


class IsADirectoryError(StorageError):
    """Storage: a directory where the session file should be."""

    KIND = "is_a_directory"


class NotAFileError(StorageError):
    """Storage: neither a file nor a directory (a FIFO, a device)."""

    KIND = "not_a_file"


class EmptyFileError(StorageError):
    """Storage: an empty file."""

    KIND = "empty_file"


class LegacyJsonSessionError(StorageError):
    """Storage: a pre-0.15 Pyrogram JSON session (convert it)."""

    KIND = "legacy_json_session"


class NotSqliteError(StorageError):
    """Storage: not an SQLite database."""

    KIND = "not_sqlite"


class TelethonSessionError(StorageError):
    """Storage: a Telethon session file (convert it)."""

    KIND = "telethon_session"


class NotASessionError(StorageError):
    """Storage: an SQLite database that holds no session."""

    KIND = "not_a_session"


class NewerVersionError(StorageError):
    """Storage: a schema version newer than the crate knows."""

    KIND = "newer_version"


class InconsistentSchemaError(StorageError):
    """Storage: a schema no known version has."""

    KIND = "inconsistent_schema"


class UnknownCollationError(StorageError):
    """Storage: the file names a collation SQLite does not know."""

    KIND = "unknown_collation"


class VersionRowsError(StorageError):
    """Storage: the version table does not hold exactly one row."""

    KIND = "version_rows"


class SessionRowsError(StorageError):
    """Storage: the sessions table does not hold exactly one row."""

    KIND = "session_rows"


class InvalidValueError(StorageError):
    """Storage: a stored value no library could have written."""

    KIND = "invalid_value"


class UnknownPeerTypeError(StorageError):
    """Storage: a stored peer type no library writes."""

    KIND = "unknown_peer_type"


class MissingAccessHashError(StorageError):
    """Storage: a stored peer that needs an access hash has none."""

    KIND = "missing_access_hash"


class NotFoundError(StorageError, KeyError):
    """Storage: no cached peer for the id, username or phone number (also a KeyError, as Pyrogram raises)."""

    KIND = "not_found"


class UsernameExpiredError(StorageError, KeyError):
    """Storage: the cached username is stale (also a KeyError, as Pyrogram raises)."""

    KIND = "username_expired"


class MissingFieldError(StorageError):
    """Storage: a field the session string needs is unset."""

    KIND = "missing_field"


class FieldOutOfRangeError(StorageError):
    """Storage: a field out of the session string's range."""

    KIND = "field_out_of_range"


class UnsupportedWriteError(StorageError):
    """Storage: the file's dialect cannot store this write."""

    KIND = "unsupported_write"


class SideFileError(StorageError):
    """Storage: a side file (-journal, -wal, -shm) is unsafe to use."""

    KIND = "side_file"


class WalIndexUnavailableError(StorageError):
    """Storage: the WAL index (-shm) cannot be used."""

    KIND = "wal_index_unavailable"


class AlreadyExistsError(StorageError):
    """Storage: a file is already there."""

    KIND = "already_exists"


class NothingSavedError(StorageError):
    """Storage: nothing could be saved from a damaged file."""

    KIND = "nothing_saved"


class ForeignOwnerError(StorageError):
    """Storage: the file belongs to another user."""

    KIND = "foreign_owner"


class WritableByOthersError(StorageError):
    """Storage: other users can write the file."""

    KIND = "writable_by_others"


class TooLargeToCopyError(StorageError):
    """Storage: the file is too large to copy."""

    KIND = "too_large_to_copy"


class ClosedError(StorageError):
    """Storage: the storage was closed or deleted (not a crate error: the package's own)."""

    KIND = "closed"


class UserIdOutOfRangeError(StorageError, DecodeError, EncodeError):
    """A user id that does not fit (a signed 64-bit integer, or the layout asked for): from a
    storage, a string being decoded, or a session being encoded."""

    KIND = "user_id_out_of_range"


class StringUserIdOutOfRangeError(UserIdOutOfRangeError):
    """Decoding: the string's user id does not fit SQLite's signed 64-bit integer (Pyrogram's
    ``OverflowError``)."""

    KIND = "string_user_id_out_of_range"


class EmptyStringError(DecodeError):
    """Decoding: the string is empty."""

    KIND = "empty_string"


class InvalidCharacterError(DecodeError):
    """Decoding: a character the decoder does not allow."""

    KIND = "invalid_character"


class NonAsciiError(DecodeError):
    """Decoding: a character outside ASCII."""

    KIND = "non_ascii"


class InvalidLengthError(DecodeError):
    """Decoding: none of the canonical lengths."""

    KIND = "invalid_length"


class NonZeroTrailingBitsError(DecodeError):
    """Decoding: the last character carries bits beyond the data."""

    KIND = "non_zero_trailing_bits"


class InvalidBoolError(DecodeError):
    """Decoding: a boolean byte other than 0 or 1."""

    KIND = "invalid_bool"


class IncorrectPaddingError(DecodeError):
    """Decoding: the base64 data ends inside a group without padding."""

    KIND = "incorrect_padding"


class LoneDataCharacterError(DecodeError):
    """Decoding: the base64 data ends one character into a group."""

    KIND = "lone_data_character"


class WrongByteLengthError(DecodeError):
    """Decoding: the decoded bytes do not fit the layout."""

    KIND = "wrong_byte_length"


class MissingApiIdError(EncodeError):
    """Encoding: the v2 layout needs an api_id and the session has none."""

    KIND = "missing_api_id"


class MissingValuesError(ConvertError):
    """Converting: a target needs values the source does not hold: give them as options."""

    KIND = "missing_values"



class ConflictError(ConvertError):
    """Converting: an option contradicts a value the source holds."""

    KIND = "conflict"



class UnknownServerError(ConvertError):
    """Converting: a server address that matches no data center of the table."""

    KIND = "unknown_server"



class UnknownDataCenterError(ConvertError):
    """Converting: a data center the table does not know."""

    KIND = "unknown_data_center"



class NotBase64Error(ConvertError):
    """Converting: another library's string that is not base64."""

    KIND = "not_base64"



class WrongLengthError(ConvertError):
    """Converting: another library's string of a length its format does not have."""

    KIND = "wrong_length"



class WrongVersionError(ConvertError):
    """Converting: another library's string of a version it does not write."""

    KIND = "wrong_version"



class NoAuthKeyError(ConvertError):
    """Converting: a source that holds no auth key."""

    KIND = "no_auth_key"



class InvalidFieldError(ConvertError):
    """Converting: a value of the source out of its format's range."""

    KIND = "invalid_field"



class NoIpv6AddressError(ConvertError):
    """Converting: an IPv6 address asked for a data center that has none."""

    KIND = "no_ipv6_address"



class NotAnIpAddressError(ConvertError):
    """Converting: a server that is no IP address where the target needs one."""

    KIND = "not_an_ip_address"



class InvalidJsonSessionError(ConvertError):
    """Converting: a Pyrogram JSON session that cannot be read."""

    KIND = "invalid_json_session"



class TelethonVersionError(ConvertError):
    """Converting: a Telethon file of a schema version the crate does not read, or a version to write it does not write."""

    KIND = "telethon_version"



class TelethonSchemaError(ConvertError):
    """Converting: a Telethon file whose tables are not Telethon's."""

    KIND = "telethon_schema"



class TelethonSessionRowsError(ConvertError):
    """Converting: a Telethon file without exactly one session row."""

    KIND = "telethon_session_rows"



class UnrecognisedError(ConvertError):
    """Converting: a text or file that is no session of any format the crate reads."""

    KIND = "unrecognised"



class SameFileError(ConvertError):
    """Converting: the file to write is the file read."""

    KIND = "same_file"



class NotARegularFileError(ConvertError):
    """Converting: a path that names no regular file."""

    KIND = "not_a_regular_file"


class TdataError(ConvertError):
    """A Telegram Desktop folder that cannot be read or written (spec/tdata.md §9): the kinds
    are the crate's ``TdataErrorKind::code`` (``tdata_wrong_passcode``, ...). No message holds
    a key or the passcode."""

    KIND = "tdata"


class TdataDamagedError(TdataError):
    """A damaged file of a Telegram Desktop folder: its bytes are not what Telegram Desktop
    writes (a check fails, it is cut short, a length does not fit). The base of the kinds that
    say so; never raised as itself."""

    KIND = "tdata_damaged"


class TdataFolderIsALinkError(TdataError):
    """Telegram Desktop folder: the folder is a symbolic link, which is not followed."""

    KIND = "tdata_folder_is_a_link"


class TdataNotAFolderError(TdataError):
    """Telegram Desktop folder: the path names something that is not a folder."""

    KIND = "tdata_not_a_folder"


class TdataNoFolderError(TdataError):
    """Telegram Desktop folder: the folder does not exist."""

    KIND = "tdata_no_folder"


class TdataMissingFileError(TdataError):
    """Telegram Desktop folder: none of a file's stored versions exists: not a tdata folder, or one damaged."""

    KIND = "tdata_missing_file"


class TdataNotAFileError(TdataError):
    """Telegram Desktop folder: a file of the folder is not a regular file (a FIFO, a device, a socket); not opened."""

    KIND = "tdata_not_a_file"


class TdataTooLargeError(TdataError):
    """Telegram Desktop folder: a file larger than any file of the format."""

    KIND = "tdata_too_large"


class TdataIoError(TdataError):
    """Telegram Desktop folder: the file system refused an operation."""

    KIND = "tdata_io"


class TdataBadMagicError(TdataDamagedError):
    """Telegram Desktop folder: a file that does not begin with TDF$."""

    KIND = "tdata_bad_magic"


class TdataTruncatedError(TdataDamagedError):
    """Telegram Desktop folder: a file cut short."""

    KIND = "tdata_truncated"


class TdataChecksumError(TdataDamagedError):
    """Telegram Desktop folder: a file whose MD5 check does not match its content."""

    KIND = "tdata_checksum"


class TdataBadSaltError(TdataDamagedError):
    """Telegram Desktop folder: a salt that is not 32 bytes long."""

    KIND = "tdata_bad_salt"


class TdataPasscodeNeededError(TdataError):
    """Telegram Desktop folder: the folder is protected by a local passcode and none was given."""

    KIND = "tdata_passcode_needed"


class TdataWrongPasscodeError(TdataError):
    """Telegram Desktop folder: the local key does not decrypt with the passcode given: it is wrong, or the file is damaged."""

    KIND = "tdata_wrong_passcode"


class TdataArgon2PasscodeError(TdataError):
    """Telegram Desktop folder: protected by a passcode in Telegram Desktop 7.3's layout under a key of a KDF family other than 1 (Argon2id, the one derived), which is not read."""

    KIND = "tdata_argon2_passcode"


class TdataArgon2ParametersError(TdataDamagedError):
    """Telegram Desktop folder: the 7.3 passcode wrap asks Argon2id for memory, passes or lanes out of bounds (1 to 16 lanes, 1 to 64 passes, 8 KiB a lane to 1 GiB); refused before any memory is taken."""

    KIND = "tdata_argon2_parameters"


class TdataNoPasscodeWrapError(TdataDamagedError):
    """Telegram Desktop folder: the 7.3 key data trailer names a passcode wrap in use that it does not hold."""

    KIND = "tdata_no_passcode_wrap"


class TdataEncryptedSizeError(TdataDamagedError):
    """Telegram Desktop folder: an encrypted part that is not a 16-byte check and whole 16-byte blocks."""

    KIND = "tdata_encrypted_size"


class TdataDecryptionError(TdataDamagedError):
    """Telegram Desktop folder: an encrypted part that does not decrypt with the local key."""

    KIND = "tdata_decryption"


class TdataDecryptedSizeError(TdataDamagedError):
    """Telegram Desktop folder: a decrypted part whose stated length does not fit it."""

    KIND = "tdata_decrypted_size"


class TdataLocalKeyLengthError(TdataDamagedError):
    """Telegram Desktop folder: a decrypted local key that is not 256 bytes."""

    KIND = "tdata_local_key_length"


class TdataAccountCountError(TdataDamagedError):
    """Telegram Desktop folder: an account list whose count is not 1 to 6."""

    KIND = "tdata_account_count"


class TdataNoAccountsError(TdataDamagedError):
    """Telegram Desktop folder: an account list that names no account index from 0 to 5."""

    KIND = "tdata_no_accounts"


class TdataUnknownBlockError(TdataError):
    """Telegram Desktop folder: MTP data holding a block this reader does not know."""

    KIND = "tdata_unknown_block"


class TdataNoAuthorizationError(TdataError):
    """Telegram Desktop folder: MTP data holding no authorization: not logged in."""

    KIND = "tdata_no_authorization"


class TdataKeyCountError(TdataDamagedError):
    """Telegram Desktop folder: a key list whose count the bytes left cannot hold."""

    KIND = "tdata_key_count"


class TdataNoMainKeyError(TdataError):
    """Telegram Desktop folder: no key for the account's main data center."""

    KIND = "tdata_no_main_key"


class TdataSameLoginError(TdataError):
    """Telegram Desktop folder: the same login as an earlier account of the list."""

    KIND = "tdata_same_login"


class TdataNotLoggedInError(TdataError):
    """Telegram Desktop folder: the account is not logged in (its user id is 0)."""

    KIND = "tdata_not_logged_in"


class TdataDataCenterError(TdataError):
    """Telegram Desktop folder: a data center id outside 1 to 255."""

    KIND = "tdata_data_center"


class TdataNoSuchAccountError(TdataError):
    """Telegram Desktop folder: no account of the index asked for (the message lists those the folder has)."""

    KIND = "tdata_no_such_account"


class TdataMissingValueError(TdataError):
    """Telegram Desktop folder: a value Telegram Desktop needs that the session does not hold."""

    KIND = "tdata_missing_value"


class TdataUserIdConflictError(TdataError):
    """Telegram Desktop folder: the user id given differs from the one the session holds."""

    KIND = "tdata_user_id_conflict"


class TdataTestServersError(TdataError):
    """Telegram Desktop folder: a session for the test servers, for which no folder is written."""

    KIND = "tdata_test_servers"


class TdataAccountsToWriteError(TdataError):
    """Telegram Desktop folder: more or fewer accounts than a folder holds."""

    KIND = "tdata_accounts_to_write"


class TdataKeyFileNameError(TdataError):
    """Telegram Desktop folder: a key file name Telegram Desktop's file names cannot be."""

    KIND = "tdata_key_file_name"


class TdataKeyFilesError(TdataError):
    """Telegram Desktop folder: key files of several names and none of the default name: give
    ``key_name``."""

    KIND = "tdata_key_files"


class TdataKeyNameNotTelegramsError(TdataError):
    """Telegram Desktop folder: a key file name Telegram Desktop's ``-key`` cannot give."""

    KIND = "tdata_key_name_not_telegrams"


class TdataAlreadyExistsError(TdataError):
    """Telegram Desktop folder: something is already at the path of the folder to write; a folder is written only as a new one."""

    KIND = "tdata_already_exists"
class PostgresError(StorageError):
    """Storage: the PostgreSQL server, or the connection to it, failed (spec/postgres.md)."""

    KIND = "postgres"


class LeaseHeldError(StorageError):
    """Storage: another holder has the PostgreSQL session's lease, and the wait ran out.

    ``holder`` names it (``host:pid`` unless it named itself otherwise); ``expires_in`` is how
    many seconds its lease has left, by the server's clock."""

    KIND = "lease_held"

    holder: str
    expires_in: float

    def __init__(self, kind: str, message: str, path: Optional[Path] = None) -> None:
        super().__init__(kind, message, path)
        self.holder = ""
        self.expires_in = 0.0


class LeaseLostError(StorageError):
    """Storage: a write refused because the storage's lease on the PostgreSQL session is no
    longer its own (another holder took it, or it expired); nothing of it was applied.
    ``token`` is the fencing token the storage held; ``holder`` who holds the lease now."""

    KIND = "lease_lost"

    token: int
    holder: Optional[str]

    def __init__(self, kind: str, message: str, path: Optional[Path] = None) -> None:
        super().__init__(kind, message, path)
        self.token = 0
        self.holder = None


class NewerServerSchemaError(StorageError):
    """Storage: the database's pyrosession schema is newer than this package knows."""

    KIND = "newer_server_schema"


class InvalidAccountNameError(StorageError):
    """Storage: a session name the PostgreSQL engine cannot store."""

    KIND = "invalid_account_name"


class NoSuchAccountError(StorageError):
    """Storage: no session of that name in the database."""

    KIND = "no_such_account"


class InvalidLeaseOptionsError(StorageError):
    """Storage: a lease's ttl or holder the PostgreSQL engine does not take."""

    KIND = "invalid_lease_options"


class NulCharacterError(StorageError):
    """Storage: a text holding NUL, which PostgreSQL cannot store; nothing was written."""

    KIND = "nul_character"


class TextTooLongError(StorageError):
    """Storage: a username or phone number longer than the PostgreSQL engine stores; nothing
    was written."""

    KIND = "text_too_long"


_BASES: Dict[str, Type[PyrosessionError]] = {
    "storage": StorageError,
    "decode": DecodeError,
    "encode": EncodeError,
    "convert": ConvertError,
}

_CLASSES: Dict[Tuple[str, str], Type[PyrosessionError]] = {
    (concern, cls.KIND): cls
    for cls in (globals()[name] for name in __all__)
    if isinstance(cls, type) and issubclass(cls, PyrosessionError)
    for concern, base in _BASES.items()
    if issubclass(cls, base) and cls is not base
}


def make(
    concern: str,
    kind: str,
    message: str,
    path: Optional[Path],
    pyrogram_error: Optional[str],
) -> PyrosessionError:
    """The exception for an error of ``concern`` (``storage``, ``decode``, ``encode``, ``convert``) and
    ``kind``; a kind without a class of its own gets its concern's base class. Called by the
    compiled module."""
    cls = _CLASSES.get((concern, kind), _BASES.get(concern, PyrosessionError))
    if issubclass(cls, DecodeError):
        return cls(kind, message, path, pyrogram_error)
    return cls(kind, message, path)
