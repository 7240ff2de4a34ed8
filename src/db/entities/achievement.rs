//! The `achievements` table: a listing's columns and a research result's own.

listing_entity! {
    /// One research-result row.
    "achievements" {
        pub summary: String,
        pub application_fields: String,
        pub advantages: String,
        pub requirements: String,
        pub discipline_code: String,
        pub trl: i16,
        pub maturity: String,
        pub ip_records: String,
        pub transfer_modes: String,
        pub price_min: Option<i64>,
        pub price_max: Option<i64>,
        pub team_lead: String,
        pub inventors: String,
        pub registration_number: Option<String>,
    }
}
