//! The one portable schema for both backends (see `migrations/README.md` for the type rules).

diesel::table! {
    regions (code) {
        code -> Text,
        name -> Text,
        level -> Text,
        parent_code -> Nullable<Text>,
        path -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        region_code -> Nullable<Text>,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        algorithm -> Text,
        secret -> Binary,
        created_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        family_id -> Text,
        user_id -> Text,
        token_hash -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Text,
        throttle_key -> Text,
        failed_at -> Timestamp,
    }
}

diesel::table! {
    campaigns (id) {
        id -> Text,
        name -> Text,
        county_code -> Text,
        phases -> Text,
        deadlines -> Text,
        targets -> Text,
        field_mapping -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    parcel_imports (id) {
        id -> Text,
        campaign_id -> Text,
        file_name -> Text,
        file_sha256 -> Text,
        source_crs -> Text,
        text_encoding -> Text,
        imported_by -> Text,
        created -> BigInt,
        updated -> BigInt,
        unchanged -> BigInt,
        imported_at -> Timestamp,
    }
}

diesel::table! {
    parcels (id) {
        id -> Text,
        campaign_id -> Text,
        patch_code -> Text,
        source_list -> Text,
        village_code -> Text,
        region_path -> Text,
        land_class -> Text,
        problem_type -> Text,
        declared_area_mu -> Nullable<Double>,
        measured_area_m2 -> Double,
        area_mismatch -> Bool,
        deadline -> Nullable<Date>,
        status -> Text,
        geometry -> Binary,
        min_lon -> Double,
        min_lat -> Double,
        max_lon -> Double,
        max_lat -> Double,
        attributes -> Text,
        content_hash -> Text,
        version -> BigInt,
        generation -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    parcel_history (id) {
        id -> Text,
        parcel_id -> Text,
        version -> BigInt,
        import_id -> Text,
        changes -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    counters (name) {
        name -> Text,
        value -> BigInt,
    }
}

diesel::joinable!(users -> regions (region_code));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(campaigns -> regions (county_code));
diesel::joinable!(parcels -> campaigns (campaign_id));
diesel::joinable!(parcels -> regions (village_code));
diesel::joinable!(parcel_imports -> campaigns (campaign_id));
diesel::joinable!(parcel_history -> parcels (parcel_id));
diesel::joinable!(parcel_history -> parcel_imports (import_id));

diesel::allow_tables_to_appear_in_same_query!(
    regions,
    users,
    signing_keys,
    refresh_tokens,
    login_failures,
    campaigns,
    parcel_imports,
    parcels,
    parcel_history,
    counters,
);
