-- The welfare lines now compute seven of the 2020 plan's indicators from their own records (targets::computed::
-- LINE_METRICS); a database that imported the plan before learns which, as the shipped plan now says.
UPDATE target_indicators SET metric = 'safety.infections' WHERE year = 2020 AND id = 'T05.1' AND metric = '';
UPDATE target_indicators SET metric = 'institutions.beds_per_1000' WHERE year = 2020 AND id = 'T16.2' AND metric = '';
UPDATE target_indicators SET metric = 'institutions.nursing_share' WHERE year = 2020 AND id = 'T16.3' AND metric = '';
UPDATE target_indicators SET metric = 'institutions.social_share' WHERE year = 2020 AND id = 'T16.4' AND metric = '';
UPDATE target_indicators SET metric = 'children.care_homes' WHERE year = 2020 AND id = 'T20.1' AND metric = '';
UPDATE target_indicators SET metric = 'children.service_stations' WHERE year = 2020 AND id = 'T20.2' AND metric = '';
UPDATE target_indicators SET metric = 'safety.open_major_hazards' WHERE year = 2020 AND id = 'T25.1' AND metric = '';
-- T10.1's wording in Chinese, as the shipped plan now has it.
UPDATE target_indicators SET target = '精准救助率（最近一次核对符合条件的在保对象 ÷ 全部在保对象）' WHERE year = 2020 AND id = 'T10.1';
