//! Optional persistence: the engine's whole state as JSON, written atomically (temp file then
//! rename) so that a restarted sim keeps balances and orders.

use crate::engine::Engine;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Serialize)]
struct SnapshotRef<'a> {
    version: u32,
    engine: &'a Engine,
}

#[derive(Deserialize)]
struct SnapshotOwned {
    version: u32,
    engine: Engine,
}

/// Reads a snapshot; Ok(None) when the file does not exist.
pub fn load(path: &Path) -> Result<Option<Engine>, String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read snapshot {}: {e}", path.display())),
    };
    let s: SnapshotOwned = serde_json::from_slice(&bytes)
        .map_err(|e| format!("snapshot {} is not valid: {e}", path.display()))?;
    if s.version != 1 {
        return Err(format!(
            "snapshot {} has unknown version {}",
            path.display(),
            s.version
        ));
    }
    let mut engine = s.engine;
    // Snapshots written before the filter grids existed lack them: derive them again.
    engine.derive_filter_grids();
    Ok(Some(engine))
}

/// Writes a snapshot atomically.
pub fn save(path: &Path, engine: &Engine) -> Result<(), String> {
    let bytes = serde_json::to_vec(&SnapshotRef { version: 1, engine })
        .map_err(|e| format!("cannot encode snapshot: {e}"))?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .map_err(|e| format!("cannot rename snapshot into {}: {e}", path.display()))
}
