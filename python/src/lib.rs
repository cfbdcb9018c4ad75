//! The compiled part of the `pyrosession` Python package (issue 20): the crate's storage engines,
//! session-string codec, `inspect` and `convert`, for the package's Python layer (`pyrosession/`), which gives them
//! Pyrogram's async interface.
//!
//! Every call that touches a storage releases the interpreter while SQLite works, so that other
//! Python threads run meanwhile. A call made from the event loop passes `block = False`: it takes
//! the storage's lock only if it is free, and raises `Busy` otherwise (another thread's call is
//! under way), so that the Python layer runs it again off the loop instead of waiting on it.

mod codec;
mod errors;
mod store;
mod tools;

use pyo3::prelude::*;

pyo3::create_exception!(
    _native,
    Busy,
    pyo3::exceptions::PyException,
    "The storage is serving another thread's call: the caller retries off the event loop."
);

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<store::Store>()?;
    m.add("Busy", m.py().get_type::<Busy>())?;
    m.add_function(wrap_pyfunction!(store::locate, m)?)?;
    m.add_function(wrap_pyfunction!(store::after_fork_in_child, m)?)?;
    m.add_function(wrap_pyfunction!(codec::decode, m)?)?;
    m.add_function(wrap_pyfunction!(codec::encode, m)?)?;
    m.add_function(wrap_pyfunction!(codec::auth_key_id, m)?)?;
    m.add_function(wrap_pyfunction!(tools::inspect, m)?)?;
    m.add_function(wrap_pyfunction!(tools::convert, m)?)?;
    m.add_function(wrap_pyfunction!(errors::encode_kinds, m)?)?;
    m.add(
        "DEFAULT_WAIT",
        pyrosession::storage::DEFAULT_WAIT.as_secs_f64(),
    )?;
    Ok(())
}
