//! Generates the Tauri context and, from the command list below, one `allow-<command>`
//! permission per command. Because an app manifest is declared, a command is callable from
//! the window only if `capabilities/default.json` grants it (least privilege).

fn main() {
    let attributes =
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(&[
            "app_status",
            "rate_passphrase",
            "create_vault",
            "import_backup",
            "unlock",
            "lock",
            "still_here",
            "set_auto_lock",
            "credentials",
            "credential",
            "check_status",
            "history",
            "export_backup",
            "take_pending_link",
            "recognise_link",
            "read_qr_image",
            "open_offer",
            "accept_offer",
            "dismiss_offer",
            "prepare_presentation",
            "approve",
            "decline",
        ]));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}
