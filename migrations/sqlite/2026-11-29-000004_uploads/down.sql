DROP TABLE upload_parts;
DROP TABLE uploads;
DROP TABLE blobs;
