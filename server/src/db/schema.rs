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
        sync_seq -> BigInt,
        post_decision_activity -> Bool,
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

diesel::table! {
    sync_feed (kind, entity_id, region_path) {
        kind -> Text,
        entity_id -> Text,
        region_path -> Text,
        parcel_id -> Nullable<Text>,
        seq -> BigInt,
        op -> Text,
        data -> Nullable<Text>,
    }
}

diesel::table! {
    devices (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        acked_seq -> BigInt,
        registered_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    mutations (id) {
        id -> Text,
        device_id -> Text,
        device_seq -> BigInt,
        user_id -> Text,
        kind -> Text,
        record -> Text,
        client_time -> Nullable<Text>,
        status -> Text,
        reason -> Nullable<Text>,
        message -> Nullable<Text>,
        conflicts -> Text,
        change_seq -> BigInt,
        received_at -> Timestamp,
    }
}

diesel::table! {
    field_records (id) {
        id -> Text,
        kind -> Text,
        parcel_id -> Text,
        author_id -> Text,
        mutation_id -> Text,
        record -> Text,
        withdrawn -> Bool,
        status -> Nullable<Text>,
        manifest_hash -> Nullable<Text>,
        decision_id -> Nullable<Text>,
        stale_base -> Bool,
        sha256 -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reviews (id) {
        id -> Text,
        submission_id -> Text,
        parcel_id -> Text,
        manifest_hash -> Text,
        decision -> Text,
        reason -> Text,
        reviewer_id -> Text,
        decided_at -> Timestamp,
    }
}

diesel::table! {
    parcel_attributes (parcel_id, field) {
        parcel_id -> Text,
        field -> Text,
        value -> Nullable<Text>,
        changed_seq -> BigInt,
        mutation_id -> Text,
        device_id -> Text,
    }
}

diesel::table! {
    attribute_history (id) {
        id -> Text,
        parcel_id -> Text,
        field -> Text,
        value -> Nullable<Text>,
        previous -> Nullable<Text>,
        seq -> BigInt,
        mutation_id -> Text,
        author_id -> Text,
        conflict_id -> Nullable<Text>,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    attribute_conflicts (id) {
        id -> Text,
        parcel_id -> Text,
        field -> Text,
        kept -> Nullable<Text>,
        overwritten -> Nullable<Text>,
        kept_mutation -> Text,
        overwritten_mutation -> Nullable<Text>,
        seq -> BigInt,
        settled_seq -> Nullable<BigInt>,
        settled_by -> Nullable<Text>,
    }
}

diesel::table! {
    blobs (sha256) {
        sha256 -> Text,
        size_bytes -> BigInt,
        media_type -> Text,
        width -> BigInt,
        height -> BigInt,
        uploaded_by -> Text,
        stored_at -> Timestamp,
    }
}

diesel::table! {
    uploads (id) {
        id -> Text,
        user_id -> Text,
        declared_sha256 -> Text,
        upload_length -> BigInt,
        upload_offset -> BigInt,
        media_type -> Nullable<Text>,
        filename -> Nullable<Text>,
        metadata -> Nullable<Text>,
        width -> Nullable<BigInt>,
        height -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    upload_parts (upload_id, start_offset) {
        upload_id -> Text,
        start_offset -> BigInt,
        length -> BigInt,
        object_key -> Text,
    }
}

diesel::table! {
    photo_files (sha256) {
        sha256 -> Text,
        state -> Text,
        attempts -> BigInt,
        claimed_until -> Nullable<Timestamp>,
        exif -> Nullable<Text>,
        exif_error -> Nullable<Text>,
        perceptual_hash -> Nullable<BigInt>,
        thumbnail_width -> Nullable<BigInt>,
        thumbnail_height -> Nullable<BigInt>,
        preview_width -> Nullable<BigInt>,
        preview_height -> Nullable<BigInt>,
        error -> Nullable<Text>,
        queued_at -> Timestamp,
        analysed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    photo_checks (photo_id) {
        photo_id -> Text,
        state -> Text,
        version -> BigInt,
        claimed_until -> Nullable<Timestamp>,
        device_id -> Nullable<Text>,
        taken_at -> Nullable<Timestamp>,
        lon -> Nullable<Double>,
        lat -> Nullable<Double>,
        accuracy_m -> Nullable<Double>,
        report -> Nullable<Text>,
        file_checked -> Bool,
        queued_at -> Timestamp,
        checked_at -> Nullable<Timestamp>,
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
diesel::joinable!(devices -> users (user_id));
diesel::joinable!(field_records -> parcels (parcel_id));
diesel::joinable!(reviews -> parcels (parcel_id));
diesel::joinable!(parcel_attributes -> parcels (parcel_id));
diesel::joinable!(attribute_conflicts -> parcels (parcel_id));
diesel::joinable!(blobs -> users (uploaded_by));
diesel::joinable!(uploads -> users (user_id));
diesel::joinable!(upload_parts -> uploads (upload_id));
diesel::joinable!(photo_files -> blobs (sha256));
diesel::joinable!(photo_checks -> field_records (photo_id));

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
    sync_feed,
    devices,
    mutations,
    field_records,
    reviews,
    parcel_attributes,
    attribute_history,
    attribute_conflicts,
    blobs,
    uploads,
    upload_parts,
    photo_files,
    photo_checks,
);
