//! `age_over_NN` attributes computed from a birth date (being built).
