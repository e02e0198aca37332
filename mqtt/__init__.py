"""The sensors' MQTT side: the ingest daemon (readings into PostGIS) and the sensor simulator."""
