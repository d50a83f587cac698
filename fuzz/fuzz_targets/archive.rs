//! Any bytes as a bundle (zip, tar, gzip, nested, or anything else) under small limits.
#![no_main]

use batchdiag_parser::content::{read_item, Ctx, Item, ReadOptions};
use batchdiag_parser::limits::{Budget, Limits};
use batchdiag_parser::Location;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = ReadOptions::default();
    let budget = Budget::new(Limits { max_member_bytes: 1 << 20, max_total_bytes: 4 << 20, max_ratio: 100, max_depth: 3, max_in_memory_bytes: 1 << 20 });
    let ctx = Ctx { opts: &opts, budget: &budget };
    let item = Item { loc: Location::file("fuzz"), reader: Box::new(data), explicit: true, depth: 0, compression: None, disk_path: None };
    let _ = read_item(item, &ctx);
});
