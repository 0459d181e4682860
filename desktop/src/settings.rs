//! The app's settings: nothing secret, kept next to the vault as a small JSON file so they
//! apply before the wallet is unlocked.

use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The auto-lock choices offered, in minutes.
pub const AUTO_LOCK_CHOICES: [u32; 7] = [1, 2, 5, 10, 15, 30, 60];

/// The auto-lock limit of a fresh install, in minutes.
pub const DEFAULT_AUTO_LOCK_MINUTES: u32 = 5;

/// The app's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Lock the wallet after this many minutes without activity.
    pub auto_lock_minutes: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            auto_lock_minutes: DEFAULT_AUTO_LOCK_MINUTES,
        }
    }
}

impl Settings {
    /// Settings with an auto-lock limit from [`AUTO_LOCK_CHOICES`].
    pub fn with_auto_lock(minutes: u32) -> Result<Self, AppError> {
        if !AUTO_LOCK_CHOICES.contains(&minutes) {
            return Err(AppError::InvalidSetting);
        }
        Ok(Settings {
            auto_lock_minutes: minutes,
        })
    }

    /// Reads the settings file. A missing, unreadable or edited-out-of-range file gives the
    /// defaults: settings only ever make the app stricter than a bad file would.
    pub fn load(path: &Path) -> Self {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Settings>(&bytes).ok())
            .and_then(|s| Settings::with_auto_lock(s.auto_lock_minutes).ok())
            .unwrap_or_default()
    }

    /// Writes the settings file atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<(), AppError> {
        let storage = |op| move |_| AppError::Storage { op };
        let dir = path.parent().ok_or(AppError::Storage {
            op: "find the settings folder",
        })?;
        std::fs::create_dir_all(dir).map_err(storage("create the settings folder"))?;
        let mut file =
            tempfile::NamedTempFile::new_in(dir).map_err(storage("write the settings"))?;
        let bytes = serde_json::to_vec_pretty(self).map_err(|_| AppError::Internal)?;
        file.write_all(&bytes)
            .and_then(|()| file.as_file().sync_all())
            .map_err(storage("write the settings"))?;
        file.persist(path)
            .map_err(|_| AppError::Storage {
                op: "save the settings",
            })
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_offered_choices_are_accepted() {
        assert!(Settings::with_auto_lock(5).is_ok());
        for bad in [0, 3, 61, u32::MAX] {
            assert!(matches!(
                Settings::with_auto_lock(bad),
                Err(AppError::InvalidSetting)
            ));
        }
    }

    #[test]
    fn save_then_load_and_bad_files_give_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("settings.json");
        assert_eq!(Settings::load(&path), Settings::default());
        Settings::with_auto_lock(15).unwrap().save(&path).unwrap();
        assert_eq!(Settings::load(&path).auto_lock_minutes, 15);
        std::fs::write(&path, br#"{"auto_lock_minutes": 100000}"#).unwrap();
        assert_eq!(Settings::load(&path), Settings::default());
        std::fs::write(&path, b"not json").unwrap();
        assert_eq!(Settings::load(&path), Settings::default());
    }
}
