-- One database per service (one writer per database).
CREATE DATABASE hub;
CREATE DATABASE prov34;
CREATE DATABASE prov37;
CREATE DATABASE prov44;
