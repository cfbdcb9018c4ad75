# Type stub of the compiled module (python/src/*.rs). Checked in CI by mypy --strict.
from pathlib import Path
from typing import Any, List, Optional, Tuple, Union

DEFAULT_WAIT: float

class Busy(Exception): ...

_Peer = Union[
    Tuple[int, Optional[int], str, Optional[str], Optional[str]],
    Tuple[int, Optional[int], str, List[str], Optional[str]],
    Tuple[int, Optional[int], str, Optional[str]],
]

class Store:
    @staticmethod
    def open_file(path: str, wait: float, check_integrity: bool) -> Store: ...
    @staticmethod
    def open_postgres(
        url: str,
        name: str,
        holder: Optional[str],
        ttl: float,
        wait: float,
        statement_timeout: Optional[float] = None,
    ) -> Store: ...
    def lease(self) -> Optional[Tuple[int, str, float]]: ...
    @staticmethod
    def memory() -> Store: ...
    @staticmethod
    def from_session_string(session_string: str) -> Store: ...
    def dialect(self) -> str: ...
    def field(self, name: str, block: bool) -> object: ...
    def set_field(self, name: str, value: object, block: bool) -> None: ...
    def update_peers(self, peers: List[_Peer], block: bool) -> None: ...
    def set_input_types(self, user: object, chat: object, channel: object) -> None: ...
    @property
    def input_types_plain(self) -> bool: ...
    def get_peer_by_id(self, peer_id: int, block: bool) -> Any: ...
    def get_peer_by_id_text(self, text: str, block: bool) -> Optional[Any]: ...
    def get_peer_by_username(self, username: str, block: bool) -> Any: ...
    def get_peer_by_phone_number(self, phone_number: str, block: bool) -> Any: ...
    def set_clock_offset(self, seconds: int) -> None: ...
    def save(self, block: bool) -> None: ...
    def export_session_string(self, block: bool) -> str: ...
    def close(self) -> None: ...
    def delete(self) -> None: ...
    @property
    def closed(self) -> bool: ...

def decode(
    session_string: str, strict: bool
) -> Tuple[str, int, Optional[int], bool, bytes, int, bool, List[Tuple[str, str]]]: ...
def encode(
    dc_id: int,
    api_id: Optional[int],
    test_mode: bool,
    auth_key: bytes,
    user_id: int,
    is_bot: bool,
    format: str,
) -> str: ...
def locate(name: str, workdir: str) -> Tuple[str, Optional[str], Optional[Path]]: ...
def auth_key_id(auth_key: bytes) -> str: ...
def encode_kinds() -> List[str]: ...
def after_fork_in_child() -> None: ...
def inspect(
    text: Optional[str],
    path: Optional[str],
    strict: bool,
    reveal_key: bool,
    json: bool,
    account: Optional[int],
    passcode: Union[bytes, bytearray, str, None],
    passcode_file: Optional[str],
    key_name: Optional[str],
) -> str: ...
def convert(
    text: Optional[str],
    path: Optional[str],
    to: str,
    file: Optional[str],
    force: bool,
    options: Tuple[
        Optional[int],
        Optional[int],
        Optional[bool],
        Optional[bool],
        Optional[str],
        Optional[int],
        bool,
        Optional[int],
    ],
    account: Optional[int],
    passcode: Union[bytes, bytearray, str, None],
    passcode_file: Optional[str],
    key_name: Optional[str],
    new_passcode: Union[bytes, bytearray, str, None],
    new_passcode_file: Optional[str],
    new_key_name: Optional[str],
) -> Tuple[str, List[str]]: ...
