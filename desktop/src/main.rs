//! `disclose-wallet`: starts the desktop app.
//!
//! The vault is the one the `wallet` command-line tool uses (`WALLET_VAULT`, or
//! `wallet.vault` in the user's data folder); backups are saved to `DISCLOSE_BACKUP_DIR`, or
//! the documents folder.

// A release build is a GUI program on Windows: no console window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use tauri_plugin_deep_link::DeepLinkExt as _;

fn main() -> std::process::ExitCode {
    let config = match desktop::AppConfig::from_environment() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("disclose-wallet: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let builder = tauri::Builder::default()
        // First, so that a second launch (a link clicked while the app runs) hands its link
        // to this instance and exits, instead of competing for the vault lock.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            use tauri::Manager as _;
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_deep_link::init());
    let result = desktop::app(builder, config)
        .setup(|app| {
            let handle = app.handle().clone();
            // Links the app was started with, then links handed over by later launches.
            if let Ok(Some(urls)) = app.deep_link().get_current() {
                for url in urls {
                    desktop::link_opened(&handle, url.as_str());
                }
            }
            let for_later = handle.clone();
            app.deep_link().on_open_url(move |event| {
                for url in event.urls() {
                    desktop::link_opened(&for_later, url.as_str());
                }
            });
            Ok(())
        })
        .run(desktop::context());
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("disclose-wallet: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
