DROP TABLE counters;
DROP TABLE parcel_history;
DROP TABLE parcels;
DROP TABLE parcel_imports;
DROP TABLE campaigns;
