//! The `needs` table: a listing's columns and a technology need's own.

listing_entity! {
    /// One technology-need row.
    "needs" {
        pub problem: String,
        pub requirements: String,
        pub discipline_code: Option<String>,
        pub min_trl: Option<i16>,
        pub cooperation_modes: String,
        pub budget_min: Option<i64>,
        pub budget_max: Option<i64>,
        pub deadline: Option<Date>,
        pub visibility: String,
    }
}
