//! Copying text to the clipboard: OSC 52 (works over SSH), the OS clipboard as a fallback.
