-- report.index_node_method: one row per index × node (report.index_weight, score.index_node_method): the framework
-- as a tree, each node with its labels, its depth below the index and tree_path (the positions from the index down,
-- which sorts a node after its parent and siblings in the methodology's order), its effective weight, and the
-- methods and parameters the engine applied to it (imputation, outliers and normalisation to indicators,
-- aggregation, weighting (nominal, or weights derived from the data: pca, optimised) and the minimum availability of the
-- children's weight to aggregates).
WITH RECURSIVE tree AS (
    SELECT index_code, node_code, 0 AS depth, [position] AS tree_path
    FROM report.index_weight
    WHERE parent_code IS NULL
    UNION ALL
    SELECT w.index_code, w.node_code, t.depth + 1, list_append(t.tree_path, w.position)
    FROM report.index_weight w
    JOIN tree t ON t.index_code = w.index_code AND t.node_code = w.parent_code
)
SELECT w.index_code, w.node_code, w.parent_code, w.label_id, w.label_en, w.height, t.depth, m.is_indicator,
       w.weight, w.weight_in_parent, w.effective_weight,
       m.direction, m.denominator, m.applies_attribute, m.applies_values, m.min_availability_pct,
       m.imputation_method, m.imputation_parameters, m.outliers_method, m.outliers_parameters,
       m.normalisation_method, m.normalisation_parameters, m.aggregation_method, m.aggregation_parameters,
       m.weighting_method, t.tree_path
FROM report.index_weight w
JOIN tree t USING (index_code, node_code)
JOIN score.index_node_method m USING (index_code, node_code)
