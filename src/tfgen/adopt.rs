//! The file that adopts a hosted zone Route 53 already has: an `import` block, so terraform
//! manages the existing zone (same nameservers) instead of creating a second one.

use super::hcl::{Block, Expr, File};
use super::names::ZONE_ADDRESS;

/// The file holding the import block, beside the generated ones.
pub(crate) const ADOPT_FILE: &str = "siteup_adopt_zone.tf";

/// The adoption file's text for the zone `zone_id` of `domain`.
pub(crate) fn render(domain: &str, zone_id: &str) -> String {
    File {
        header: Some(format!(
            "Written by siteup: Route 53 already had a hosted zone for {domain}, so terraform adopts it\n\
             (same nameservers) instead of creating a new one. Safe to keep or delete after the apply."
        )),
        blocks: vec![
            Block::new("import")
                .attr("to", Expr::raw(ZONE_ADDRESS))
                .attr("id", Expr::str(zone_id)),
        ],
    }
    .to_text()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_import_block_names_the_zone_and_escapes_its_id() {
        let text = render("example.com", "Z123");
        assert!(text.starts_with(
            "# Written by siteup: Route 53 already had a hosted zone for example.com"
        ));
        assert!(
            text.contains("import {\n  to = aws_route53_zone.main\n  id = \"Z123\"\n}\n"),
            "{text}"
        );
        // An id from outside can never break out of its string.
        let odd = render("example.com", "Z\"${x}");
        assert!(odd.contains(r#"id = "Z\"$${x}""#), "{odd}");
    }
}
