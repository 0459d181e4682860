//! Index allocation: unpredictable, uniform, never repeated, refused when full.

use std::collections::HashSet;

use credentials::status_list::bitstring::BitstringStatusList;
use credentials::status_list::token::{Bits, TokenStatusList};
use credentials::status_list::{IndexAllocator, MIN_ENTRIES, StatusListError};
use proptest::prelude::*;
use rand::SeedableRng as _;
use rand::rngs::StdRng;

#[test]
fn allocates_every_index_once_then_refuses() {
    let mut allocator = IndexAllocator::new(1000);
    let mut rng = StdRng::seed_from_u64(7);
    let mut seen = HashSet::new();
    for _ in 0..1000 {
        let index = allocator.allocate(&mut rng).unwrap();
        assert!(index < 1000);
        assert!(seen.insert(index), "index {index} handed out twice");
    }
    assert_eq!(allocator.remaining(), 0);
    assert_eq!(allocator.allocate(&mut rng), Err(StatusListError::ListFull));
}

#[test]
fn indices_are_not_sequential() {
    // Bitstring Status List section 2.1 / Token Status List section 12.5.1: random indices.
    let mut allocator = IndexAllocator::new(MIN_ENTRIES);
    let mut rng = StdRng::seed_from_u64(8);
    let first: Vec<usize> = (0..100)
        .map(|_| allocator.allocate(&mut rng).unwrap())
        .collect();
    let ascending_steps = first.windows(2).filter(|w| w[1] == w[0] + 1).count();
    assert_eq!(ascending_steps, 0, "{first:?}");
    assert!(
        !first.windows(2).all(|w| w[0] < w[1]),
        "sorted order reveals issuance order"
    );
    // Spread over the whole list, not clustered at its start.
    assert!(first.iter().any(|i| *i > MIN_ENTRIES / 2));
    assert!(first.iter().any(|i| *i < MIN_ENTRIES / 2));
}

#[test]
fn allocation_is_roughly_uniform_over_the_list() {
    // 64,000 draws over 64 buckets of a 2^17 list: each bucket expects 1,000; with a fixed
    // seed the outcome is deterministic, and a biased allocator (e.g. `next_u32 % n` skewed
    // to low indices, or sequential) would leave buckets far outside 800..1200.
    let mut rng = StdRng::seed_from_u64(9);
    let mut buckets = [0u32; 64];
    for _ in 0..64 {
        let mut allocator = IndexAllocator::new(MIN_ENTRIES);
        for _ in 0..1000 {
            let index = allocator.allocate(&mut rng).unwrap();
            buckets[index * 64 / MIN_ENTRIES] += 1;
        }
    }
    assert!(
        buckets.iter().all(|b| (800..1200).contains(b)),
        "{buckets:?}"
    );
}

#[test]
fn restored_state_never_reissues_used_indices() {
    let used: Vec<usize> = (0..64).filter(|i| i % 3 != 0).collect();
    let mut allocator = IndexAllocator::with_used(64, used.iter().copied()).unwrap();
    assert_eq!(allocator.used(), used.len());
    let mut rng = StdRng::seed_from_u64(10);
    let mut fresh = HashSet::new();
    while let Ok(index) = allocator.allocate(&mut rng) {
        assert_eq!(index % 3, 0);
        assert!(fresh.insert(index));
    }
    assert_eq!(fresh.len(), 22);
    assert_eq!(
        IndexAllocator::with_used(64, [64]),
        Err(StatusListError::IndexOutOfRange)
    );
    assert_eq!(allocator.mark_used(0), Ok(false));
}

#[test]
fn allocator_sizes_match_the_lists() {
    let bitstring = BitstringStatusList::new(MIN_ENTRIES, 1).unwrap();
    let token = TokenStatusList::new(MIN_ENTRIES, Bits::Two).unwrap();
    let mut rng = StdRng::seed_from_u64(11);
    for len in [bitstring.len(), token.len()] {
        let mut allocator = IndexAllocator::new(len);
        let index = allocator.allocate(&mut rng).unwrap();
        assert!(bitstring.get(index).is_ok() && token.get(index).is_ok());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn exhausting_a_small_list_yields_a_permutation(seed in any::<u64>(), capacity in 1usize..300) {
        let mut allocator = IndexAllocator::new(capacity);
        let mut rng = StdRng::seed_from_u64(seed);
        let mut all: Vec<usize> = (0..capacity).map(|_| allocator.allocate(&mut rng).unwrap()).collect();
        prop_assert_eq!(allocator.allocate(&mut rng), Err(StatusListError::ListFull));
        all.sort_unstable();
        prop_assert_eq!(all, (0..capacity).collect::<Vec<_>>());
    }
}
